//! Arguments a person types that cannot mean anything: implausible dates
//! and numbers no item, event or count can have. Each is a usage error
//! (exit 2) that says what is expected, and nothing is recorded.

use crate::util::Sandbox;

#[test]
fn dates_outside_plausible_years_are_usage_errors() {
    let sandbox = Sandbox::with_campaign();
    let before = sandbox.dump();
    let item = sandbox.sample_item("Q4", 3);
    for (option, args) in [
        (
            "--due",
            vec!["campaign", "new", "Q5", "--due", "0000-01-01"],
        ),
        (
            "--as-of",
            vec![
                "campaign",
                "new",
                "Q5",
                "--due",
                "2026-12-31",
                "--as-of",
                "1899-12-31",
            ],
        ),
        (
            "--until",
            vec![
                "decide",
                "Q4",
                &item,
                "exception",
                "--until",
                "0001-01-01",
                "--note",
                "n",
            ],
        ),
        ("--as-of", vec!["exceptions", "--as-of", "0000-01-01"]),
        ("--as-of", vec!["review", "Q4", "--as-of", "1066-10-14"]),
    ] {
        let err = sandbox.fails(2, &args);
        assert!(
            err.contains(&format!("recert: {option} \"")),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("is not a plausible date: years 1900 to 9999 only"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(sandbox.dump(), before, "nothing was recorded");
}

#[test]
fn numbers_nothing_can_have_are_usage_errors_that_say_why() {
    let sandbox = Sandbox::with_campaign();
    let before = sandbox.dump();
    let huge = "18446744073709551615";
    let err = sandbox.fails(2, &["signoff", "Q4", "--preview", "--show", huge]);
    assert!(
        err.contains(
            "--show <N>': expected a number of items, a whole number from 0 to 9223372036854775807"
        ),
        "{err}"
    );
    assert!(!err.contains("database"), "{err}");
    let err = sandbox.fails(2, &["signoff", "Q4", "--preview", "--show", "-1"]);
    assert!(err.contains("expected a number of items"), "{err}");
    for accept in [huge, "-3"] {
        let err = sandbox.fails(
            2,
            &[
                "signoff",
                "Q4",
                "--note",
                "26 undecided",
                "--accept-undecided",
                accept,
            ],
        );
        assert!(err.contains("expected a number of items"), "{err}");
    }
    for item in [huge, "9223372036854775808", "-5", "0"] {
        let err = sandbox.fails(2, &["decide", "Q4", item, "attest"]);
        assert!(
            err.contains("no item has this id: item ids are whole numbers from 1"),
            "{item}: {err}"
        );
    }
    let err = sandbox.fails(2, &["decide", "Q4", "4x", "attest"]);
    assert!(err.contains("expected an item id"), "{err}");
    let item = sandbox.sample_item("Q4", 3);
    for seq in ["99999999999999999999", "-5", "0"] {
        let err = sandbox.fails(2, &["decide", "Q4", &item, "attest", "--expect-event", seq]);
        assert!(err.contains("no event has this number"), "{seq}: {err}");
    }
    // The largest id SQLite holds is a well-formed id of no item.
    let err = sandbox.fails(1, &["decide", "Q4", "9223372036854775807", "attest"]);
    assert!(
        err.contains("item 9223372036854775807 is not in campaign \"Q4\""),
        "{err}"
    );
    assert_eq!(sandbox.dump(), before, "nothing was recorded");
    let all = sandbox.ok(&[
        "signoff",
        "Q4",
        "--preview",
        "--show",
        "9223372036854775807",
    ]);
    assert!(
        all.contains("Undecided (30)") && !all.contains("more"),
        "{all}"
    );
}
