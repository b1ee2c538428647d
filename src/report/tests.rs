//! Golden reports: one small campaign that has everything an auditor looks
//! for (a revoke still effective after a later import, an exception with a
//! ticket, a self-review, a bulk decision against the recommendation, a
//! signer who also reviewed, a close action) and hostile text in its notes,
//! written in all four formats.

use super::{Format, Generated, write};
use crate::domain::{Decision, Filter, OnClose, Policy, ReviewerRule};
use crate::store::{DecisionRequest, ItemId, NewCampaign, Store};
use crate::testing::{OWNER, SAMPLE, SPONSOR, acting, day, import, import_file, item_of};

/// Notes a hostile or careless reviewer might type.
const FORMULA_NOTE: &str = "=HYPERLINK(\"http://evil.example\",\"ok\")";
const MARKUP_NOTE: &str = "<b>still</b> needed | *really* [x](javascript:alert(1))\u{1b}[2J";

fn request(item: i64, decision: Decision, note: &str, seconds: f64) -> DecisionRequest {
    DecisionRequest {
        item: ItemId(item),
        decision: Some(decision),
        note: Some(note.to_string()),
        seen_event: None,
        seconds_on_screen: Some(seconds),
    }
}

/// Lena Brandt (a contractor Anna sponsors) and Anna Kowalski herself.
fn golden_store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, SAMPLE);
    let campaign = store
        .create_campaign(&NewCampaign {
            name: "Q4 <contractors> & \"self\"".into(),
            due: day("2026-12-15"),
            as_of: day("2026-11-01"),
            scope: vec![
                Filter::parse(
                    "identity_id=l.brandt@copperline.example.com,a.kowalski@northwind.example.com",
                )
                .unwrap(),
            ],
            reviewer_rule: ReviewerRule::Sponsor,
            on_close: OnClose::Keep,
            owner: OWNER.into(),
            created_at: "2026-11-01T09:30:00.000Z".into(),
            policy: Policy::default(),
        })
        .unwrap();
    let id = campaign.id;
    // Items are numbered in queue order; find them by what they are.
    const LENA: &str = "l.brandt@copperline.example.com";
    const ANNA: &str = "a.kowalski@northwind.example.com";
    let [
        lena_salesforce,
        lena_github,
        lena_snowflake,
        anna_m365,
        anna_github,
    ] = [
        ("salesforce", LENA),
        ("github", LENA),
        ("snowflake", LENA),
        ("m365", ANNA),
        ("github", ANNA),
    ]
    .map(|(system, who)| item_of(&store, &campaign, system, who));
    let anna = acting(SPONSOR);
    store
        .decide(
            id,
            &anna,
            &[request(
                lena_salesforce,
                Decision::Revoke,
                "contract ended\nsee HR-12",
                4.2,
            )],
        )
        .unwrap();
    store
        .decide(
            id,
            &anna,
            &[
                request(lena_github, Decision::Attest, FORMULA_NOTE, 0.4),
                request(lena_snowflake, Decision::Attest, FORMULA_NOTE, 0.6),
            ],
        )
        .unwrap();
    store
        .decide(
            id,
            &anna,
            &[request(anna_github, Decision::Attest, MARKUP_NOTE, 12.0)],
        )
        .unwrap();
    let exception = Decision::Exception {
        until: day("2027-03-31"),
        ticket: Some("CHG-9".into()),
    };
    store
        .decide(
            id,
            &acting(OWNER),
            &[request(anna_m365, exception, "mailbox migration", 30.0)],
        )
        .unwrap();
    // The next export still holds the revoked grant.
    import_file(&mut store, "december.csv", SAMPLE, false);
    store
        .sign_off(
            id,
            &acting(OWNER),
            "1 undecided: Anna's Salesforce admin waits for its owner",
            Some(1),
        )
        .unwrap();
    store.close_campaign(id, &acting(OWNER), None).unwrap();
    store
}

fn report(format: Format) -> String {
    let store = golden_store();
    let generated = Generated {
        at: "2026-11-30T08:00:00.000Z".into(),
        by: "auditor@insurer.example".into(),
    };
    let mut out = Vec::new();
    let n = write(
        format,
        &store,
        "Q4 <contractors> & \"self\"",
        &generated,
        false,
        &mut out,
    )
    .unwrap();
    assert_eq!(n, 6);
    String::from_utf8(out).unwrap()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{64}", "[sha256]");
    settings
}

#[test]
fn csv_report() {
    let text = report(Format::Csv);
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    for row in reader.records() {
        let row = row.unwrap();
        assert!(
            row.iter().all(|cell| !cell.starts_with('=')),
            "formula left live: {row:?}"
        );
    }
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn json_report() {
    let text = report(Format::Json);
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(parsed["items"].as_array().unwrap().len(), 6);
    assert_eq!(parsed["remediation"]["still_effective"], 1);
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn markdown_report() {
    let text = report(Format::Markdown);
    assert!(!text.contains('\u{1b}'), "raw escape in Markdown");
    assert!(!text.contains("<b>"), "raw markup in Markdown");
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn html_report() {
    let text = report(Format::Html);
    assert!(!text.contains('\u{1b}'), "raw escape in HTML");
    assert!(!text.contains("<b>still"), "raw markup from data in HTML");
    assert!(
        !text.contains("<script") && !text.contains(" src="),
        "not self-contained"
    );
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn every_format_flags_self_review_and_the_signer_who_reviewed() {
    for format in [Format::Csv, Format::Json, Format::Markdown, Format::Html] {
        let text = report(format);
        let lower = text.to_lowercase();
        assert!(
            lower.contains("self-review") || lower.contains("self_review"),
            "{format:?}"
        );
        assert!(
            lower.contains("reviewed_by_signer") || lower.contains("reviewer signed off"),
            "{format:?}"
        );
        assert!(
            lower.contains("still_effective") || lower.contains("still effective"),
            "{format:?}"
        );
    }
}

#[test]
fn csv_to_a_terminal_shows_control_characters_escaped() {
    let store = golden_store();
    let generated = Generated {
        at: "2026-11-30T08:00:00.000Z".into(),
        by: "auditor@insurer.example".into(),
    };
    let mut out = Vec::new();
    let name = "Q4 <contractors> & \"self\"";
    write(Format::Csv, &store, name, &generated, true, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains('\u{1b}'));
    assert!(text.contains("\\x1b[2J"));
}
