//! Signing off and closing from the console, through the real store: the
//! CLI's rules (the count of undecided items acknowledged and named in the
//! note), refusals, the close action, and a campaign that changed state in
//! another terminal.

use super::{Console, OWNER, SPONSOR, ch, ctrl, key, partly_decided};
use crate::domain::{CampaignState, Decision};
use crate::rules::signoff::SignerRole;
use crate::store::ItemId;
use crate::testing::{acting, decide, sample_store};
use crate::tui::app::{Input, Mode, Step};
use ratatui::crossterm::event::KeyCode;

fn screen<'c>(console: &'c Console<'_>) -> &'c crate::tui::app::Lifecycle {
    match &console.app.mode {
        Mode::Lifecycle(screen) => screen,
        _ => panic!("not on a sign-off or close screen:\n{}", console.draw()),
    }
}

fn error(console: &Console<'_>) -> String {
    screen(console).error.clone().unwrap_or_default()
}

fn clear_field(console: &mut Console<'_>) {
    for _ in 0..40 {
        console.send(key(KeyCode::Backspace));
    }
}

#[test]
fn the_final_sign_off_needs_the_unsigned_and_undecided_counts_and_a_note_that_names_them() {
    let (mut store, q4) = sample_store();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('S'));
    let shown = screen(&console);
    assert_eq!(shown.step, Step::SignOff);
    assert_eq!(shown.role, Some(SignerRole::Owner));
    assert_eq!(shown.summary.as_ref().unwrap().waiting(), 30);
    assert_eq!(
        shown.focused(),
        Some(Input::Unsigned),
        "the counts come first"
    );
    let drawn = console.draw();
    assert!(
        drawn.contains("! 1 sponsor's part nobody signed"),
        "Anna never signed hers: {drawn}"
    );
    console.send(ctrl('s'));
    assert!(error(&console).contains("type 1"), "{}", error(&console));
    console.type_text("1\n");
    assert_eq!(screen(&console).focused(), Some(Input::Accept));
    console.send(ctrl('s'));
    assert!(error(&console).contains("type 30"), "{}", error(&console));
    console.type_text("29\nchecked the partners");
    console.send(ctrl('s'));
    assert!(error(&console).contains("type 30"), "{}", error(&console));
    assert_eq!(screen(&console).focused(), Some(Input::Accept));
    clear_field(&mut console);
    console.type_text("30");
    console.send(ctrl('s'));
    assert!(
        error(&console).contains("the note must say items are undecided"),
        "{}",
        error(&console)
    );
    assert_eq!(screen(&console).focused(), Some(Input::Note));
    let store = &console.runner.store;
    assert!(
        store.signoffs(q4.id).unwrap().is_empty(),
        "nothing signed yet"
    );

    console.type_text("; the other 30 stay undecided until close");
    console.send(ctrl('s'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert_eq!(console.app.campaign.state, CampaignState::SignedOff);
    let signed = console.runner.store.signoffs(q4.id).unwrap();
    assert_eq!(signed.len(), 1);
    assert_eq!(
        (signed[0].signer.as_str(), signed[0].undecided),
        (OWNER, 30)
    );
    assert_eq!(
        signed[0].note,
        "checked the partners; the other 30 stay undecided until close"
    );
    let drawn = console.draw();
    assert!(
        drawn.contains(&format!("signed off (event {})", signed[0].seq)),
        "{drawn}"
    );
    assert!(drawn.contains("Q4 · signed off ·"), "{drawn}");
    assert!(
        console
            .runner
            .store
            .verify_chain()
            .unwrap()
            .first_break
            .is_none()
    );

    // Decisions are refused with a reason, and nobody signs twice.
    console.send(ch('r'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert!(console.draw().contains("! signed off: no more decisions"));
    console.send(ch('S'));
    assert!(screen(&console).fields.is_empty());
    assert!(console.draw().contains("You signed this campaign off"));
    console.send(ctrl('s'));
    assert!(error(&console).contains("sign-offs are over"));
    console.send(key(KeyCode::Esc));
    assert!(console.draw().contains("cancelled: nothing was signed"));
    assert_eq!(console.runner.store.signoffs(q4.id).unwrap().len(), 1);
}

#[test]
fn a_sponsor_signs_her_fully_decided_part_with_a_note_alone() {
    let (mut store, q4) = sample_store();
    let requests: Vec<_> = (1..=30)
        .map(|item| crate::store::DecisionRequest {
            item: ItemId(item),
            decision: Some(Decision::Attest),
            note: Some("still needed".into()),
            seen_event: None,
            seconds_on_screen: Some(1.0),
            overriding: false,
        })
        .collect();
    store.decide(q4.id, &acting(SPONSOR), &requests).unwrap();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), SPONSOR);
    console.send(ch('S'));
    assert_eq!(screen(&console).role, Some(SignerRole::Sponsor));
    assert_eq!(screen(&console).focused(), Some(Input::Note), "no count");
    let drawn = console.draw();
    assert!(
        drawn.contains("Every item in your part has a decision."),
        "{drawn}"
    );
    for _ in 0..10 {
        console.send(key(KeyCode::PageDown));
    }
    let drawn = console.draw();
    assert!(
        drawn.contains("You made 30 of the 30 decisions you are signing"),
        "{drawn}"
    );
    console.send(ctrl('s'));
    assert!(error(&console).contains("needs a note"));
    console.type_text("all my partners checked");
    console.send(ctrl('s'));
    assert!(matches!(console.app.mode, Mode::Browse));
    let parts = console.runner.store.parts(q4.id).unwrap();
    assert_eq!(
        (parts[0].signer.as_deref(), parts[0].note.as_deref()),
        (Some(SPONSOR), Some("all my partners checked"))
    );
    assert!(console.runner.store.signoffs(q4.id).unwrap().is_empty());
    assert_eq!(
        console.app.campaign.state,
        CampaignState::Open,
        "only her part"
    );
    let drawn = console.draw();
    assert!(
        drawn.contains(&format!(
            "signed your part (event {}): its 21 items are frozen",
            parts[0].event.unwrap()
        )),
        "{drawn}"
    );
    console.send(ch('S'));
    assert!(screen(&console).fields.is_empty());
    assert!(console.draw().contains("You signed your part on"));
}

#[test]
fn someone_who_may_not_sign_sees_what_would_be_signed_and_nothing_more() {
    let (mut store, q4) = partly_decided();
    let mut console = Console::open_as(&mut store, &q4, (160, 48), "visitor@elsewhere.example");
    console.send(ch('S'));
    assert_eq!(screen(&console).role, None);
    assert!(screen(&console).fields.is_empty());
    let drawn = console.draw();
    assert!(drawn.contains("Only the campaign's owner"), "{drawn}");
    assert!(drawn.contains("Exceptions (1)"), "the summary is shown");
    console.type_text("let me sign");
    console.send(ctrl('s'));
    assert!(
        error(&console).contains("is neither"),
        "{}",
        error(&console)
    );
    assert!(console.runner.store.signoffs(q4.id).unwrap().is_empty());
    assert_eq!(
        console.runner.store.campaign_state(q4.id).unwrap(),
        CampaignState::Open
    );
}

#[test]
fn a_refused_signature_reads_the_campaign_again_and_keeps_the_note() {
    let (mut store, q4) = sample_store();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    console.send(ch('S'));
    console.type_text("1\n30\n30 undecided, checked the rest");
    // Meanwhile someone decides an item: the count on screen is stale.
    decide(
        console.runner.store,
        &q4,
        SPONSOR,
        1,
        Some(Decision::Revoke),
        "gone",
    );
    console.send(ctrl('s'));
    assert!(
        error(&console).contains("29 items of campaign \"Q4\" are still undecided"),
        "{}",
        error(&console)
    );
    assert_eq!(
        screen(&console).summary.as_ref().unwrap().waiting(),
        29,
        "read again"
    );
    assert_eq!(
        screen(&console).text(Input::Note).as_deref(),
        Some("30 undecided, checked the rest")
    );
    assert!(console.runner.store.signoffs(q4.id).unwrap().is_empty());
}

#[test]
fn closing_applies_the_close_action_and_freezes_the_campaign() {
    let (mut store, q4) = partly_decided();
    // After the sign-off below (verify refuses a log whose times go back).
    let after_signoff = || {
        chrono::DateTime::parse_from_rfc3339("2026-11-22T11:00:00Z")
            .expect("fixed time")
            .with_timezone(&chrono::Utc)
    };
    let mut console = Console::open_at(&mut store, &q4, (80, 24), OWNER, after_signoff);
    console.send(ch('C'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert!(
        console
            .draw()
            .contains("! open: it closes after its sign-off (S signs off)")
    );

    console
        .runner
        .store
        .sign_off(
            q4.id,
            &acting(OWNER),
            "27 undecided keep",
            Some(1),
            Some(27),
        )
        .unwrap();
    // Signed off in another terminal: the console reads the state first.
    console.send(ch('C'));
    assert_eq!(screen(&console).step, Step::Close);
    assert_eq!(console.app.campaign.state, CampaignState::SignedOff);
    let drawn = console.draw();
    assert!(
        drawn.contains("get the close action keep: 27 kept"),
        "{drawn}"
    );
    console.type_text("quarter over");
    console.send(ctrl('s'));
    assert!(matches!(console.app.mode, Mode::Browse));
    let store = &console.runner.store;
    let closure = store.closure(q4.id).unwrap().expect("closed");
    assert_eq!((closure.kept, closure.revoked), (27, 0));
    assert_eq!(closure.note.as_deref(), Some("quarter over"));
    assert_eq!(store.campaign_state(q4.id).unwrap(), CampaignState::Closed);
    let tally = store.tally(q4.id).unwrap();
    assert_eq!(
        (
            tally.undecided,
            tally.attested,
            tally.revoked,
            tally.exception
        ),
        (0, 28, 1, 1)
    );
    assert_eq!(console.app.tally, tally, "shown as committed");
    // Every undecided item got the close action as an event by the closer.
    let history = store.item_events(ItemId(1)).unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.kind.as_str(), last.actor.as_str()), ("attest", OWNER));
    assert!(last.note.as_deref().unwrap().contains("close action keep"));
    let v = store.verify(&[], false).unwrap();
    assert!(v.ok(), "{:?}", v.discrepancies);
    let drawn = console.draw();
    assert!(drawn.contains("closed: 27 kept, 0 revoked"), "{drawn}");
    assert!(drawn.contains("Q4 · closed ·"), "{drawn}");
    assert!(
        console.app.queue.rows.iter().all(|r| r.decision.is_some()),
        "the queue shows the close action"
    );
    console.send(ch('C'));
    assert!(console.draw().contains("already closed"));
    console.send(ch('S'));
    assert!(console.draw().contains("sign-offs are over"));
    console.send(ch('a'));
    assert!(console.draw().contains("! closed: no more decisions"));
}

#[test]
fn a_decision_on_a_campaign_signed_off_meanwhile_says_so_and_records_nothing() {
    let (mut store, q4) = sample_store();
    let mut console = Console::open(&mut store, &q4, (80, 24));
    let item = console.current().id;
    console.send(ch('r'));
    console.type_text("shared login");
    console
        .runner
        .store
        .sign_off(q4.id, &acting(OWNER), "30 undecided", Some(1), Some(30))
        .unwrap();
    console.send(ctrl('s'));
    assert!(matches!(console.app.mode, Mode::Browse));
    assert_eq!(console.app.campaign.state, CampaignState::SignedOff);
    let drawn = console.draw();
    assert!(drawn.contains("nothing was recorded"), "{drawn}");
    assert_eq!(console.row(item).decision, None);
    // Bulk decisions meet the same answer.
    console.send(ch('*'));
    console.send(ch('a'));
    assert!(console.draw().contains("! signed off: no more decisions"));
    assert_eq!(console.runner.store.tally(q4.id).unwrap().decided(), 0);
    assert_eq!(console.app.tally.decided(), 0);
}

#[test]
fn a_summary_read_after_the_screen_was_left_changes_nothing() {
    let (mut store, q4) = sample_store();
    let mut console = Console::open_as(&mut store, &q4, (80, 24), OWNER);
    // Keys arrive before the deferred read runs: open, leave, open the
    // remediation view.
    let effects = crate::tui::update::update(&mut console.app, super::ch('S'));
    crate::tui::dispatch(
        &mut console.app,
        &mut console.runner,
        effects,
        &mut console.later,
    );
    for msg in [key(KeyCode::Esc), ch('m')] {
        let effects = crate::tui::update::update(&mut console.app, msg);
        crate::tui::dispatch(
            &mut console.app,
            &mut console.runner,
            effects,
            &mut console.later,
        );
    }
    console.settle();
    assert!(matches!(console.app.mode, Mode::Remediation(_)));
}

#[test]
fn after_the_final_sign_off_a_sponsor_signs_nothing_more() {
    let (mut store, q4) = sample_store();
    store
        .sign_off(
            q4.id,
            &acting(OWNER),
            "30 undecided: owners decide",
            Some(1),
            Some(30),
        )
        .unwrap();
    let q4 = store.campaign("Q4").unwrap();
    let mut console = Console::open_as(&mut store, &q4, (160, 48), SPONSOR);
    console.send(ch('S'));
    assert_eq!(screen(&console).role, Some(SignerRole::Sponsor));
    let drawn = console.draw();
    assert!(
        drawn.contains(&format!("{OWNER} signed this campaign off on"))
            && drawn.contains("sign-offs are over"),
        "{drawn}"
    );
    assert!(screen(&console).fields.is_empty());
    console.type_text("my partners checked; 30 undecided");
    console.send(ctrl('s'));
    assert_eq!(console.runner.store.signoffs(q4.id).unwrap().len(), 1);
    assert!(
        console.runner.store.parts(q4.id).unwrap()[0]
            .signer
            .is_none()
    );
    assert_eq!(console.app.campaign.state, CampaignState::SignedOff);
}
