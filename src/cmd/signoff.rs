//! `recert signoff`: shows what is being signed (counts per decision,
//! exceptions with their end dates, revocations, undecided items, who
//! decided, single-admin and self-review facts, the parts by sponsor), then
//! records a sponsor's sign-off of their part or, with `--final`, the
//! owner's sign-off of the whole campaign. Undecided items (and, for the
//! final one, parts nobody signed) are acknowledged by their exact number.

use super::Env;
use super::table::Table;
use crate::cli::SignoffArgs;
use crate::domain::people::same_person;
use crate::domain::text::{count, sanitize, sanitize_multiline};
use crate::rules::signoff::SignerRole;
use crate::store::{ItemList, Part, SignoffSummary};
use color_eyre::Result;
use std::fmt::Write;

pub fn run(args: &SignoffArgs, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    let actor = &env.actor()?.email;
    let campaign = store.campaign(&args.campaign)?;
    let show = usize::try_from(args.show).unwrap_or(usize::MAX);
    let summary = store.signoff_summary(campaign.id, show)?;
    let parts = store.parts(campaign.id)?;
    let role = store.signer_role(campaign.id, actor)?;
    out!("{}", describe(&summary, actor, role))?;
    out!(
        "{}",
        sanitize_multiline(&describe_parts(&parts, actor, args.final_signoff))
    )?;
    if args.preview {
        outln!("\npreview only: nothing was signed")?;
        return Ok(());
    }
    let at = env.now_stamp();
    let acting = env.acting(env.actor()?, &at);
    let note = args.note.as_deref().unwrap_or_default();
    if !args.final_signoff {
        let part = store.sign_part(campaign.id, &acting, note, args.accept_undecided)?;
        outln!(
            "\n{}",
            sanitize(&format!(
                "signed off your part of {:?} ({}, {} decided) as event {}; its items take no \
                 more decisions, while the other parts still do until the owner's final sign-off",
                campaign.name,
                count(part.items, "item"),
                part.decided,
                part.event.unwrap_or_default()
            ))
        )?;
        return Ok(());
    }
    let signed = store.sign_off(
        campaign.id,
        &acting,
        note,
        args.accept_unsigned,
        args.accept_undecided,
    )?;
    outln!(
        "\n{}",
        sanitize(&format!(
            "signed off {:?} as event {} (hash {}); decisions on it are now refused",
            campaign.name, signed.seq, signed.hash
        ))
    )?;
    if signed.signer_reviewed() {
        outln!(
            "note: you also made {} of the decisions you signed; every report says so",
            signed.signer_decisions
        )?;
    }
    Ok(())
}

fn role_text(actor: &str, role: Option<SignerRole>, summary: &SignoffSummary) -> String {
    match role {
        Some(SignerRole::Owner) => {
            format!("{actor} (campaign owner), who signs the whole campaign off with --final")
        }
        Some(SignerRole::Sponsor) => {
            format!("{actor} (sponsor of items in it), who signs their own part")
        }
        None => format!(
            "{actor}, who may not sign: only the owner ({}) or a sponsor of its items can",
            summary.owner
        ),
    }
}

/// The campaign's parts and, for the owner's final sign-off, what it must
/// acknowledge.
fn describe_parts(parts: &[Part], actor: &str, final_signoff: bool) -> String {
    let mut out = String::from("\nParts (by sponsor)\n");
    let mut table = Table::new(&["SPONSOR", "ITEMS", "DECIDED", "SIGNED BY", "ON", "NOTE"]);
    for p in parts {
        let mut sponsor = p.sponsor.clone();
        if p.owners_part {
            sponsor.push_str(" (owner: no sponsor)");
        } else if same_person(&p.sponsor, actor) {
            sponsor.push_str(" (you)");
        }
        table.row(vec![
            sponsor,
            p.items.to_string(),
            p.decided.to_string(),
            p.signer.clone().unwrap_or_else(|| "-".into()),
            p.signed_at.clone().unwrap_or_default(),
            p.note.clone().unwrap_or_default(),
        ]);
    }
    for line in table.render().lines() {
        let _ = writeln!(out, "  {line}");
    }
    if final_signoff {
        let unsigned: Vec<&Part> = parts
            .iter()
            .filter(|p| !p.owners_part && !p.is_signed())
            .collect();
        let waiting: u64 = parts.iter().map(Part::waiting).sum();
        let _ = writeln!(
            out,
            "\nThe final sign-off acknowledges {} unsigned by their sponsors and {} \
             undecided: --accept-unsigned {} --accept-undecided {}",
            count(unsigned.len() as u64, "part"),
            count(waiting, "item"),
            unsigned.len(),
            waiting
        );
    }
    out
}

fn describe(s: &SignoffSummary, actor: &str, role: Option<SignerRole>) -> String {
    let t = &s.tally;
    let mut out = String::new();
    let _ = writeln!(out, "Sign-off of campaign {:?}", s.campaign);
    let _ = writeln!(out, "  state {}, owner {}, due {}", s.state, s.owner, s.due);
    let _ = writeln!(out, "  signing as {}", role_text(actor, role, s));
    let _ = writeln!(out, "\nDecisions ({} items)", t.total);
    for (label, n) in [
        ("attested", t.attested),
        ("revoked", t.revoked),
        ("exception", t.exception),
        ("reassigned", t.reassigned),
        ("rotate", t.rotate),
        ("undecided", t.undecided),
    ] {
        if label == "rotate" && n == 0 {
            continue;
        }
        let _ = writeln!(out, "  {label:<11}{n:>7}");
    }
    let mut body = sanitize_multiline(&out);

    let headers = [
        "ITEM",
        "IDENTITY",
        "SYSTEM",
        "ENTITLEMENT",
        "UNTIL",
        "TICKET",
        "DECIDED BY",
    ];
    list(&mut body, "Exceptions", &s.exceptions, &headers, |i| {
        vec![
            i.id.to_string(),
            i.identity_name.clone(),
            i.system.clone(),
            i.entitlement.clone(),
            i.exception_until.clone().unwrap_or_default(),
            i.ticket.clone().unwrap_or_default(),
            i.decided_by.clone().unwrap_or_default(),
        ]
    });
    let headers = [
        "ITEM",
        "IDENTITY",
        "SYSTEM",
        "ENTITLEMENT",
        "DECIDED BY",
        "NOTE",
    ];
    list(&mut body, "Revocations", &s.revocations, &headers, |i| {
        vec![
            i.id.to_string(),
            i.identity_name.clone(),
            i.system.clone(),
            i.entitlement.clone(),
            i.decided_by.clone().unwrap_or_default(),
            i.note.clone().unwrap_or_default(),
        ]
    });
    let headers = [
        "ITEM",
        "IDENTITY",
        "SYSTEM",
        "ENTITLEMENT",
        "ROTATE BY",
        "DECIDED BY",
    ];
    // Most campaigns promise no rotation: no heading for none.
    if s.rotations.total > 0 {
        list(&mut body, "Rotations", &s.rotations, &headers, |i| {
            vec![
                i.id.to_string(),
                i.identity_name.clone(),
                i.system.clone(),
                i.entitlement.clone(),
                i.rotate_by.clone().unwrap_or_default(),
                i.decided_by.clone().unwrap_or_default(),
            ]
        });
    }
    let headers = [
        "ITEM",
        "IDENTITY",
        "SYSTEM",
        "ENTITLEMENT",
        "WAITING ON",
        "RECOMMENDED",
    ];
    list(&mut body, "Undecided", &s.undecided, &headers, |i| {
        vec![
            i.id.to_string(),
            i.identity_name.clone(),
            i.system.clone(),
            i.entitlement.clone(),
            i.assignee.clone(),
            i.recommendation.as_str().replace('_', " "),
        ]
    });

    let mut tail = String::new();
    if !s.decisions_by.is_empty() {
        let _ = writeln!(tail, "\nWho decided");
        for d in &s.decisions_by {
            let mut line = format!("  {}: {}", d.actor, count(d.decisions, "decision"));
            if d.self_review > 0 {
                line.push_str(&format!(", {} on their own access", d.self_review));
            }
            if d.against_recommendation > 0 {
                line.push_str(&format!(
                    ", {} against the recommendation",
                    d.against_recommendation
                ));
            }
            let _ = writeln!(tail, "{line}");
        }
    }
    if s.self_review_decisions > 0 {
        let _ = writeln!(
            tail,
            "\nSelf-review: {} on the decider's own access.",
            count(s.self_review_decisions, "decision")
        );
    }
    let own = s.decisions_of(actor);
    if own > 0 {
        let all: u64 = s.decisions_by.iter().map(|d| d.decisions).sum();
        let _ = writeln!(
            tail,
            "\nSingle admin: you made {own} of the {all} decisions you are signing; the \
             sign-off and every report will say so."
        );
    }
    if s.waiting() > 0 {
        let _ = writeln!(
            tail,
            "\nAt close, the {} nobody decided get the close action {}: {} kept{}, {} \
             revoked.",
            count(s.waiting(), "item"),
            s.on_close,
            s.close_preview.keep,
            crate::domain::rotation::kept_with_rotate(s.close_preview.rotate),
            s.close_preview.revoke
        );
    }
    for earlier in &s.signoffs {
        let _ = writeln!(
            tail,
            "\nAlready signed off by {} on {} (event {}): {}",
            earlier.signer, earlier.at, earlier.seq, earlier.note
        );
    }
    body.push_str(&sanitize_multiline(&tail));
    body
}

fn list(
    out: &mut String,
    title: &str,
    items: &ItemList,
    headers: &[&'static str],
    cells: impl Fn(&crate::store::ItemRow) -> Vec<String>,
) {
    let _ = writeln!(out, "\n{title} ({})", items.total);
    if items.total == 0 {
        let _ = writeln!(out, "  none");
        return;
    }
    let mut table = Table::new(headers);
    for item in &items.first {
        table.row(cells(item));
    }
    for line in table.render().lines() {
        let _ = writeln!(out, "  {line}");
    }
    let more = items.total.saturating_sub(items.first.len() as u64);
    if more > 0 {
        let _ = writeln!(out, "  … and {more} more (recert items or recert report)");
    }
}
