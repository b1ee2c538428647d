//! Screen snapshots at the smallest supported size (80×24) and a large
//! one (160×48): queue, detail, note editor, exception dialog, filter
//! panel, help overlay, dashboard. Review every change as you would code.

use super::{Console, OWNER, ch, ctrl, key, partly_decided, remediation_store};
use crate::store::{CampaignSummary, Store};
use crate::testing::{SAMPLE, campaign, import, sample_store};
use ratatui::crossterm::event::KeyCode;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snapshot(name: &str, size: (u16, u16), screen: String) {
    insta::assert_snapshot!(format!("{name}_at_{}_by_{}", size.0, size.1), screen);
}

#[test]
fn queue() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let console = Console::open(&mut store, &campaign, size);
        snapshot("queue", size, console.draw());
    }
}

/// A grant reviewed last quarter and decided, undone and decided again
/// this quarter: the detail has history and an earlier campaign to show.
fn reviewed_twice() -> (Store, CampaignSummary) {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, SAMPLE);
    let q3 = campaign(&mut store, "Q3", "2026-08-01");
    {
        let mut console = Console::open_as(&mut store, &q3, (80, 24), OWNER);
        console.send(ch('v'));
        console.send(key(KeyCode::Home));
        console.send(ch('e'));
        console.type_text("2026-12-31\nCHG-7\nwaiting for the MSP handover");
        console.send(ctrl('s'));
    }
    let q4 = campaign(&mut store, "Q4", "2026-11-01");
    {
        let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
        console.send(ch('v'));
        console.send(key(KeyCode::Home));
        console.send(ch('a'));
        console.type_text("still needed");
        console.send(ctrl('s'));
        console.send(key(KeyCode::Home));
        console.send(ch('u'));
        console.send(ch('r'));
        console.type_text("handover done: shared login goes\nsee CHG-7");
        console.send(ctrl('s'));
        console.send(key(KeyCode::Home));
    }
    (store, q4)
}

#[test]
fn detail() {
    for size in SIZES {
        let (mut store, q4) = reviewed_twice();
        let mut console = Console::open_as(&mut store, &q4, size, OWNER);
        console.send(ch('v'));
        // `v` keeps the owner's own item selected; the snapshot is of the
        // riskiest, at the top.
        console.send(key(KeyCode::Home));
        // At 80×24 the history is below the fold: scroll to it.
        for _ in 0..20 {
            console.send(ch('J'));
        }
        snapshot("detail", size, console.draw());
    }
}

#[test]
fn note_editor() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.send(ch('r'));
        console.type_text("contract ended\nsee NW-9");
        snapshot("note_editor", size, console.draw());
    }
}

#[test]
fn exception_dialog() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.send(ch('e'));
        console.type_text("+6w");
        console.send(key(KeyCode::Tab));
        console.type_text("CHG-1042");
        console.send(key(KeyCode::Tab));
        console.type_text("handover to the new MSP ends mid-December");
        snapshot("exception_dialog", size, console.draw());
    }
}

#[test]
fn filter_panel() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.send(ch('f'));
        console.send(ch('j'));
        console.send(ch(' '));
        console.send(key(KeyCode::Tab));
        snapshot("filter_panel", size, console.draw());
    }
}

#[test]
fn help_overlay() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.send(ch('?'));
        snapshot("help_overlay", size, console.draw());
    }
}

#[test]
fn dashboard() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.send(ch('r'));
        console.type_text("shared login");
        console.send(ctrl('s'));
        console.send(ch('o'));
        console.type_text("t.nguyen@northwind.example.com\nhis team");
        console.send(ctrl('s'));
        console.send(ch('d'));
        snapshot("dashboard", size, console.draw());
    }
}

#[test]
fn bulk_confirmation_and_marks() {
    let size = (80, 24);
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, size);
    console.send(ch('/'));
    console.type_text("copperline");
    console.send(key(KeyCode::Enter));
    console.send(ch('*'));
    console.send(ch('a'));
    snapshot("bulk_confirmation", size, console.draw());
}

#[test]
fn search_being_typed() {
    let size = (80, 24);
    let (mut store, campaign) = sample_store();
    let mut console = Console::open(&mut store, &campaign, size);
    console.send(ch('/'));
    console.type_text("snow");
    snapshot("search", size, console.draw());
}

#[test]
fn signoff_screen() {
    for size in SIZES {
        let (mut store, q4) = partly_decided();
        let mut console = Console::open_as(&mut store, &q4, size, OWNER);
        console.send(ch('S'));
        console.type_text("1\n27\n");
        console.type_text("checked exceptions and revocations; 27 undecided keep");
        snapshot("signoff", size, console.draw());
    }
}

/// A sponsor signing her own part: the parts, which are signed, and who is
/// still working.
#[test]
fn signoff_of_a_sponsors_part() {
    for size in SIZES {
        let (mut store, q4) = partly_decided();
        let mut console = Console::open_as(&mut store, &q4, size, crate::testing::SPONSOR);
        console.send(ch('S'));
        console.type_text("19\n");
        console.type_text("my partners checked; 19 undecided go to the owner");
        snapshot("signoff_part", size, console.draw());
    }
}

#[test]
fn close_confirmation() {
    for size in SIZES {
        let (mut store, q4) = partly_decided();
        store
            .sign_off(
                q4.id,
                &crate::testing::acting(OWNER),
                "checked; 27 undecided keep their access",
                Some(1),
                Some(27),
            )
            .unwrap();
        let mut console = Console::open_as(&mut store, &q4, size, OWNER);
        console.send(ch('C'));
        console.type_text("quarter over");
        snapshot("close", size, console.draw());
    }
}

#[test]
fn remediation_view() {
    for size in SIZES {
        let (mut store, q4) = remediation_store();
        let mut console = Console::open_as(&mut store, &q4, size, OWNER);
        console.send(ch('m'));
        snapshot("remediation", size, console.draw());
    }
}

#[test]
fn detail_with_controls_register_and_contract() {
    use crate::domain::Stamp;
    use crate::domain::register::RegisterEntry;
    for size in SIZES {
        let mut store = Store::open_in_memory().unwrap();
        import(&mut store, SAMPLE);
        let mut session = store
            .begin_register_import(crate::testing::register_meta())
            .unwrap();
        let entry = RegisterEntry {
            tenant: "northwind".into(),
            sponsor: Some("a.kowalski@northwind.example.com".into()),
            contract_end: Some(Stamp::parse("2026-10-15").unwrap()),
            ..RegisterEntry::new("k.ito@saltmarsh.example.net")
        };
        assert!(session.add(2, &entry).unwrap().is_none());
        session.commit("0", false).unwrap();
        let q4 = campaign(&mut store, "Q4", "2026-11-01");
        let mut console = Console::open_as(&mut store, &q4, size, OWNER);
        console.send(ch('v'));
        console.send(ch('/'));
        console.type_text("Kenji");
        console.send(key(KeyCode::Enter));
        snapshot("detail_controls", size, console.draw());
    }
}

/// A reassign: the field offers the known people its text matches, Tab
/// completes the first, and the header says how the acting person is known.
#[test]
fn reassign_dialog_completes_known_people() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.app.known_people = console
            .runner
            .store
            .known_people(true)
            .unwrap()
            .into_iter()
            .collect();
        console.app.established = crate::domain::roster::Established::OsUser("akowalski".into());
        console.send(ch('o'));
        console.type_text("ngu");
        snapshot("reassign_offering", size, console.draw());
        console.send(key(KeyCode::Tab));
        snapshot("reassign_completed", size, console.draw());
    }
}

/// The column layout at the common middle size, where identity and
/// entitlement once got 11 cells.
#[test]
fn queue_at_a_middle_size() {
    let (mut store, campaign) = sample_store();
    let console = Console::open(&mut store, &campaign, (120, 40));
    snapshot("queue", (120, 40), console.draw());
}

/// A campaign over two tenants shows which tenant each row is in.
#[test]
fn queue_over_several_tenants() {
    let mut store = Store::open_in_memory().unwrap();
    import(
        &mut store,
        &SAMPLE.replace("northwind,m365,", "bluefjord,m365,"),
    );
    let q4 = campaign(&mut store, "Q4", "2026-11-01");
    for size in [(80, 24), (120, 40)] {
        let console = Console::open(&mut store, &q4, size);
        let screen = console.draw();
        assert!(screen.contains("TENANT"), "{screen}");
        snapshot("queue_tenants", size, screen);
    }
}

#[test]
fn person_view() {
    for size in SIZES {
        let (mut store, campaign) = sample_store();
        let mut console = Console::open(&mut store, &campaign, size);
        console.send(ch('p'));
        console.send(ch('j'));
        snapshot("people", size, console.draw());
    }
}
