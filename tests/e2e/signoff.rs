//! Staged sign-off through the real binary: a campaign's parts by sponsor,
//! a sponsor's part signed and frozen while another reviewer keeps
//! deciding, the owner's final sign-off acknowledging unsigned parts and
//! undecided items by number, and the close after it.

use crate::util::{REVIEWER, Sandbox, fixture};

const ANNA: &str = "a.kowalski@northwind.example.com";
const TOM: &str = "t.nguyen@northwind.example.com";

/// The sample estate with Denis Moreau and the Harbour MSP account
/// sponsored by Tom: three parts, Anna's (15 items), Tom's (6) and the
/// owner's (9, no sponsor), each sponsor reviewing their own.
pub fn three_parts() -> Sandbox {
    let sandbox = Sandbox::new();
    let sample = std::fs::read_to_string(fixture("canonical/sample.csv")).unwrap();
    let estate: String = sample
        .lines()
        .map(|line| {
            if line.contains("d.moreau@") || line.contains("ops@harbourmsp") {
                format!("{}\n", line.replace(ANNA, TOM))
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let path = sandbox.write("estate.csv", &estate);
    sandbox.ok(&["import", path.to_str().unwrap()]);
    sandbox.ok(&[
        "campaign",
        "new",
        "Q4",
        "--due",
        "2026-12-15",
        "--as-of",
        "2026-11-01",
        "--reviewer-rule",
        "sponsor",
    ]);
    sandbox
}

/// Item ids of the sample's data lines `lines`.
fn items(sandbox: &Sandbox, lines: impl IntoIterator<Item = usize>) -> Vec<String> {
    lines
        .into_iter()
        .map(|n| sandbox.sample_item("Q4", n))
        .collect()
}

fn decide_all(sandbox: &Sandbox, who: &str, ids: &[String], decision: &str) {
    for id in ids {
        sandbox.ok(&[
            "--as", who, "decide", "Q4", id, decision, "--note", "checked",
        ]);
    }
}

#[test]
fn a_sponsors_part_is_signed_and_frozen_while_another_reviewer_keeps_deciding() {
    let sandbox = three_parts();
    let annas = items(&sandbox, (1..=6).chain(16..=24));
    let toms = items(&sandbox, 10..=15);
    decide_all(&sandbox, ANNA, &annas[..13], "attest");

    // Her part, with two items undecided, acknowledged by number.
    let err = sandbox.fails(1, &["--as", ANNA, "signoff", "Q4", "--note", "done"]);
    assert!(
        err.contains(&format!(
            "2 items of {ANNA}'s part of campaign \"Q4\" are still undecided"
        )) && err.contains("--accept-undecided 2"),
        "{err}"
    );
    let out = sandbox.ok(&[
        "--as",
        ANNA,
        "signoff",
        "Q4",
        "--note",
        "2 undecided: the owner decides them",
        "--accept-undecided",
        "2",
    ]);
    assert!(
        out.contains("signed off your part of \"Q4\" (15 items, 13 decided)"),
        "{out}"
    );
    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(show["state"], "open", "only her part is signed");

    // Her part is frozen, saying by whom and when; Tom keeps deciding his.
    let err = sandbox.fails(
        1,
        &[
            "--as", ANNA, "decide", "Q4", &annas[13], "revoke", "--note", "x",
        ],
    );
    assert!(
        err.contains(&format!(
            "is in a part signed off by {ANNA} on 2026-11-22T10:00:00"
        )) && err.contains(&format!(
            "{ANNA}'s part of campaign \"Q4\" takes no more decisions"
        )),
        "{err}"
    );
    decide_all(&sandbox, TOM, &toms, "revoke");
    let err = sandbox.fails(
        1,
        &["--as", TOM, "signoff", "Q4", "--note", "mine", "--final"],
    );
    assert!(err.contains("only the owner of campaign \"Q4\""), "{err}");
    sandbox.ok(&["--as", TOM, "signoff", "Q4", "--note", "all six revoked"]);
    let err = sandbox.fails(1, &["--as", TOM, "signoff", "Q4", "--note", "again"]);
    assert!(err.contains("already signed off"), "{err}");

    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    let parts = show["parts"].as_array().unwrap();
    let summary: Vec<_> = parts
        .iter()
        .map(|p| {
            (
                p["sponsor"].as_str().unwrap(),
                p["items"].as_u64().unwrap(),
                p["decided"].as_u64().unwrap(),
                p["signer"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (ANNA, 15, 13, Some(ANNA)),
            (TOM, 6, 6, Some(TOM)),
            (REVIEWER, 9, 0, None),
        ]
    );
    assert_eq!(parts[0]["note"], "2 undecided: the owner decides them");
    assert_eq!(parts[2]["owners_part"], true);
    let text = sandbox.ok(&["campaign", "show", "Q4"]);
    assert!(
        text.contains(&format!("{REVIEWER} (owner)")) && text.contains("all six revoked"),
        "{text}"
    );
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn the_final_sign_off_acknowledges_unsigned_parts_and_undecided_items_then_close() {
    let sandbox = three_parts();
    sandbox.ok(&[
        "--as",
        TOM,
        "signoff",
        "Q4",
        "--note",
        "6 undecided",
        "--accept-undecided",
        "6",
    ]);
    let err = sandbox.fails(1, &["close", "Q4"]);
    assert!(
        err.contains("sign it off first") && err.contains("--final"),
        "{err}"
    );

    // A plain sign-off by the owner says to sign off whole with --final.
    let err = sandbox.fails(1, &["signoff", "Q4", "--note", "30 undecided"]);
    assert!(err.contains("--final"), "{err}");
    let before = sandbox.dump();
    for (unsigned, undecided) in [
        (None, Some("30")),
        (Some("0"), Some("30")),
        (Some("1"), None),
    ] {
        let mut args = vec!["signoff", "Q4", "--final", "--note", "30 undecided"];
        if let Some(n) = unsigned {
            args.extend(["--accept-unsigned", n]);
        }
        if let Some(n) = undecided {
            args.extend(["--accept-undecided", n]);
        }
        let err = sandbox.fails(1, &args);
        assert!(
            err.contains("30 items") && err.contains("--accept-undecided 30"),
            "{args:?}: {err}"
        );
        if unsigned != Some("1") {
            assert!(
                err.contains(&format!(
                    "1 part unsigned by {ANNA} (15 items, 15 undecided)"
                )) && err.contains("--accept-unsigned 1"),
                "{err}"
            );
        }
    }
    assert_eq!(sandbox.dump(), before, "nothing was signed");
    let err = sandbox.fails(
        2,
        &["signoff", "Q4", "--note", "x", "--accept-unsigned", "1"],
    );
    assert!(err.contains("--final"), "{err}");

    let out = sandbox.ok(&[
        "signoff",
        "Q4",
        "--final",
        "--note",
        "30 undecided; Anna's part unsigned: she is away",
        "--accept-unsigned",
        "1",
        "--accept-undecided",
        "30",
    ]);
    assert!(out.contains("signed off \"Q4\""), "{out}");
    let err = sandbox.fails(1, &["--as", ANNA, "signoff", "Q4", "--note", "late"]);
    assert!(err.contains("already signed off"), "{err}");
    let show = sandbox.json(&["campaign", "show", "Q4", "--json"]);
    assert_eq!(show["state"], "signed_off");
    assert_eq!(
        show["parts"][0]["signer"],
        serde_json::Value::Null,
        "Anna never signed"
    );
    assert_eq!(
        show["parts"][2]["signer"], REVIEWER,
        "the final signs the owner's part"
    );
    sandbox.ok(&["close", "Q4"]);
    assert!(sandbox.ok(&["verify"]).contains("audit chain intact"));
}

#[test]
fn every_report_format_lists_parts_overrides_on_behalf_decisions_and_how_actors_were_established() {
    let sandbox = three_parts();
    let annas = items(&sandbox, [1, 2]);
    sandbox.ok(&[
        "decide",
        "Q4",
        &annas[0],
        "revoke",
        "--override",
        "--note",
        "Anna is away; contract ended",
    ]);
    // A personal database: Tom decides Anna's item on her behalf.
    sandbox.ok(&[
        "--as", TOM, "decide", "Q4", &annas[1], "attest", "--note", "I asked",
    ]);
    sandbox.ok(&[
        "--as",
        ANNA,
        "signoff",
        "Q4",
        "--note",
        "13 undecided left to the owner",
        "--accept-undecided",
        "13",
    ]);
    for format in ["csv", "json", "md", "html"] {
        let text = sandbox.ok(&["report", "Q4", "--format", format]);
        for expected in [
            format!("override of {ANNA}"),
            format!("on behalf of {ANNA}"),
            "asserted".to_string(),
        ] {
            assert!(text.contains(&expected), "{format} lacks {expected:?}");
        }
        if format != "csv" {
            assert!(
                text.contains("13 undecided left to the owner"),
                "{format}: the part's note"
            );
        }
        if format == "md" || format == "html" {
            assert!(
                text.contains("Identities were asserted, not authenticated"),
                "{format}"
            );
        }
    }
    let csv = sandbox.ok(&["report", "Q4", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let overridden = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r[0] == *annas[0])
        .unwrap();
    assert_eq!(&overridden[column("decided_via")], "asserted");
    assert_eq!(&overridden[column("part")], ANNA);
    assert_eq!(&overridden[column("part_signed_by")], ANNA);
    let json = sandbox.json(&["report", "Q4", "--format", "json"]);
    assert_eq!(json["parts"][0]["signer"], ANNA);
    assert_eq!(json["acting"]["overrides"], 1);
    assert_eq!(json["acting"]["on_behalf"], 1);
    assert_eq!(json["acting"]["identities_authenticated"], false);
}
