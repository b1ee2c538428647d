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
        overriding: false,
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
            owner_via: "asserted".into(),
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
    // The owner overrides Anna on one of her items, with a note.
    store
        .decide(
            id,
            &acting(OWNER),
            &[DecisionRequest {
                overriding: true,
                ..request(
                    lena_snowflake,
                    Decision::Revoke,
                    "Anna is away; the key was leaked",
                    8.0,
                )
            }],
        )
        .unwrap();
    // Anna signs her part: Lena's three grants.
    store
        .sign_part(id, &anna, "checked Lena's access with Copperline", None)
        .unwrap();
    // The next export still holds the revoked grant.
    import_file(&mut store, "december.csv", SAMPLE, false);
    store
        .sign_off(
            id,
            &acting(OWNER),
            "1 undecided: Anna's Salesforce admin waits for its owner",
            Some(0),
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
    // Lena's Salesforce and Snowflake revocations, both still in December's export.
    assert_eq!(parsed["remediation"]["still_effective"], 2);
    assert_eq!(parsed["parts"][0]["signer"], SPONSOR);
    assert_eq!(parsed["acting"]["overrides"], 1);
    assert_eq!(parsed["acting"]["identities_authenticated"], false);
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
fn every_format_lists_parts_overrides_on_behalf_decisions_and_how_actors_were_established() {
    for format in [Format::Csv, Format::Json, Format::Markdown, Format::Html] {
        let text = report(format);
        for expected in [
            "checked Lena's access with Copperline",
            &format!("override of {SPONSOR}"),
            &format!("on behalf of {OWNER}"),
            "asserted",
        ] {
            let expected = if format == Format::Html {
                expected.replace('\'', "&#39;")
            } else {
                expected.to_string()
            };
            if format == Format::Csv && expected.starts_with("checked") {
                continue; // rows only: the part's signer, not its note
            }
            assert!(text.contains(&expected), "{format:?} lacks {expected:?}");
        }
        if matches!(format, Format::Markdown | Format::Html) {
            assert!(
                text.contains("Identities were asserted, not authenticated"),
                "{format:?}"
            );
        }
    }
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

/// The CSV as `csv::Writer` writes it from owned copies of the rows, cell
/// by cell as the report's columns say: what the CSV report's own writer,
/// rendering borrowed rows on several threads, must reproduce byte for
/// byte.
fn reference_csv(store: &Store, name: &str, to_terminal: bool) -> String {
    use super::csv::{HEADER, neutralize};
    use crate::domain::decision::state_label;
    use crate::domain::text::sanitize_multiline;
    use crate::store::{Detail, ReportRows};

    let campaign = store.campaign(name).unwrap();
    let evidence = store.campaign_evidence(campaign.id, Detail::Brief).unwrap();
    let generated = Generated {
        at: String::new(),
        by: String::new(),
    };
    let ctx = super::Context {
        campaign: &campaign,
        evidence: &evidence,
        generated: &generated,
        to_terminal,
    };
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = HEADER.to_vec();
    header.push("chain_head");
    header.extend(super::csv::WHO_ACTED);
    header.push(super::csv::NOT_DONE);
    header.extend(super::csv::EVIDENCE);
    header.extend(super::csv::CATALOG);
    header.push(super::csv::ROTATE_BY);
    writer.write_record(&header).unwrap();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let yes = |flag: bool| if flag { "yes" } else { "" }.to_string();
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    store
        .for_each_report_row(campaign.id, ReportRows::All, |view| {
            let row = &view.to_row();
            let cells = [
                row.id.to_string(),
                (row.rank + 1).to_string(),
                row.tenant.clone(),
                row.identity_id.clone(),
                row.identity_name.clone(),
                row.kind.clone(),
                row.relationship.clone(),
                text(&row.organization),
                row.system.clone(),
                text(&row.environment),
                row.entitlement.clone(),
                row.flags.names().join(" "),
                row.recommendation.as_str().to_string(),
                state_label(row.decision).to_string(),
                row.assignee.clone(),
                text(&row.decided_by),
                text(&row.decided_at),
                text(&row.note),
                text(&row.exception_until),
                text(&row.ticket),
                yes(row.privileged),
                row.score.to_string(),
                super::decision_text(&row.view()),
                yes(row.self_review),
                yes(ctx.reviewed_by_signer(&row.view())),
                yes(row.against_recommendation),
                yes(row.bulk),
                row.seconds_on_screen
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                text(&row.close_action),
                row.remediation.map_or("", |s| s.as_str()).to_string(),
                number(row.remediation_snapshot.map(|s| s.0)),
                number(row.decided_event.map(|e| e.0)),
                text(&row.decided_hash),
                crate::domain::framework::control_ids(row.flags).join(" "),
                evidence.head_hash.clone(),
                super::established_method(row.decided_via.as_deref(), row.decided_event.is_some())
                    .to_string(),
                row.acting_for
                    .as_ref()
                    .map(|(capacity, of)| format!("{} {of}", capacity.words()))
                    .unwrap_or_default(),
                text(
                    &ctx.part_of(row.sponsor.as_deref())
                        .map(|p| p.sponsor.clone()),
                ),
                text(
                    &ctx.part_of(row.sponsor.as_deref())
                        .and_then(|p| p.signer.clone()),
                ),
                evidence
                    .revocations_not_done
                    .iter()
                    .find(|n| n.item == row.id.0)
                    .map(|n| match n.status_snapshot {
                        Some(s) if n.status == crate::domain::RemediationStatus::Verified => {
                            format!("{}; verified since by snapshot {s}", n.reason)
                        }
                        _ => format!("{}; now {}", n.reason, n.status.label()),
                    })
                    .unwrap_or_default(),
                ctx.findings(&row.view())
                    .iter()
                    .map(|f| format!("{}: {}", f.flag, f.reason))
                    .collect::<Vec<_>>()
                    .join(super::csv::REASON_SEPARATOR),
                text(&row.sponsor),
                text(&row.evidence.business_owner),
                text(&row.evidence.technical_owner),
                text(&row.evidence.granted_at),
                text(&row.evidence.expires_at),
                text(&row.evidence.last_used_at),
                text(&row.evidence.credential_rotated_at),
                text(&row.tier),
                text(&row.sensitivity),
                text(&row.description),
                text(&row.rotate_by),
            ];
            for cell in cells {
                let cell = if to_terminal {
                    sanitize_multiline(&cell)
                } else {
                    cell
                };
                writer.write_field(neutralize(&cell).as_bytes())?;
            }
            writer.write_record(None::<&[u8]>)?;
            Ok(())
        })
        .unwrap();
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn csv_of(store: &Store, name: &str, to_terminal: bool) -> String {
    let generated = Generated {
        at: String::new(),
        by: String::new(),
    };
    let mut out = Vec::new();
    write(Format::Csv, store, name, &generated, to_terminal, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn csv_matches_csv_writer_on_the_owned_rows() {
    let store = golden_store();
    let name = "Q4 <contractors> & \"self\"";
    for to_terminal in [false, true] {
        assert_eq!(
            csv_of(&store, name, to_terminal),
            reference_csv(&store, name, to_terminal),
            "to_terminal: {to_terminal}"
        );
    }
}

#[test]
fn csv_from_several_workers_matches_csv_writer_on_the_owned_rows() {
    use crate::estate::EstateSpec;
    use crate::testing::{campaign, decide};

    let dir = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::create(&dir.path().join("r.db")).unwrap();
    let mut estate = Vec::new();
    // Several chunks of rows, so that every worker renders some.
    EstateSpec::new(10_000, 11, day("2026-11-01"))
        .write_csv(&mut estate)
        .unwrap();
    import(&mut store, std::str::from_utf8(&estate).unwrap());
    let q4 = campaign(&mut store, "Q4", "2026-11-01");
    let mut items = Vec::new();
    let mut credentials = Vec::new();
    store
        .for_each_report_row(q4.id, crate::store::ReportRows::All, |row| {
            items.push(row.id.0);
            if matches!(row.kind, "api_key" | "service_account") {
                credentials.push(row.id.0);
            }
            Ok(())
        })
        .unwrap();
    assert!(items.len() > 8192, "too few items for several workers");
    let notes = [
        FORMULA_NOTE,
        MARKUP_NOTE,
        "a, b and \"c\"",
        "-1",
        "+1",
        "@x",
        "\tindented",
        "carriage\rreturn",
        "two\r\nlines",
        "\"",
        "ünïcode — ✓",
        "plain",
    ];
    for (n, note) in notes.iter().enumerate() {
        let item = items[n * 701];
        let decision = match n % 3 {
            0 => Decision::Revoke,
            1 => Decision::Attest,
            _ => Decision::Exception {
                until: day("2027-01-31"),
                ticket: Some(format!("=CHG-{n}, \"x\"")),
            },
        };
        decide(&mut store, &q4, OWNER, item, Some(decision), note);
    }
    // Rotates, whose date is the last column.
    let rotate = Decision::Rotate {
        by: day("2027-01-15"),
    };
    let decided: Vec<i64> = (0..notes.len()).map(|n| items[n * 701]).collect();
    for &item in credentials.iter().filter(|i| !decided.contains(i)).take(3) {
        decide(
            &mut store,
            &q4,
            OWNER,
            item,
            Some(rotate.clone()),
            "rotate it",
        );
    }
    let csv = csv_of(&store, "Q4", false);
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains(",rotate,") && l.ends_with(",2027-01-15"))
            .count(),
        3,
        "each rotate with its date, last"
    );
    assert_eq!(
        csv.lines().count(),
        items.len() + 1 + 1,
        "one note spans two lines"
    );
    assert_eq!(csv, reference_csv(&store, "Q4", false));
}
