//! The VisiData reference: load the same CSV and sort it by a column, as
//! someone would to see the riskiest rows first. Needs `python3` with
//! VisiData (`pip install visidata`).

use super::process::{Run, run};
use std::path::Path;
use std::process::Command;

const SCRIPT: &str = r#"
import sys
from visidata import vd, Path
sheet = vd.openSource(Path(sys.argv[1]))
vd.push(sheet)
sheet.ensureLoaded()
vd.sync()
sheet.cursorVisibleColIndex = [c.name for c in sheet.visibleCols].index("last_used_at")
sheet.execCommand("sort-desc")
vd.sync()
assert len(sheet.rows) > 0
"#;

pub fn load_and_sort(csv: &Path) -> Option<Run> {
    let available = Command::new("python3")
        .args(["-c", "import visidata"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return None;
    }
    let mut cmd = Command::new("python3");
    cmd.args(["-c", SCRIPT]).arg(csv);
    run(&mut cmd, None)
}
