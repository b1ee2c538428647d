//! `recert campaign new | list | show | cancel`.

use super::table::Table;
use super::{Env, UsageError, day_arg, filters_arg};
use crate::cli::{CampaignCommand, CampaignNewArgs};
use crate::domain::text::sanitize;
use crate::domain::{OnClose, ReviewerRule};
use crate::store::{CampaignSummary, NewCampaign, Part};
use color_eyre::Result;

pub fn run(command: CampaignCommand, env: &Env) -> Result<()> {
    match command {
        CampaignCommand::New(args) => new(&args, env),
        CampaignCommand::List { json } => list(json, env),
        CampaignCommand::Show { name, json } => show(&name, json, env),
        CampaignCommand::Due { within, json } => super::campaign_due::run(within, json, env),
        CampaignCommand::Cancel { name, note } => cancel(&name, &note, env),
    }
}

fn new(args: &CampaignNewArgs, env: &Env) -> Result<()> {
    if args.name.trim().is_empty() {
        return Err(UsageError("a campaign needs a name".into()).into());
    }
    let mut store = env.open()?;
    let owner = env.actor()?;
    crate::rules::authority::require_admin(store.mode()?, owner, "creating a campaign")
        .map_err(super::refused)?;
    let due = day_arg("--due", &args.due)?;
    let as_of = match &args.as_of {
        Some(text) => day_arg("--as-of", text)?,
        None => env.today(),
    };
    // A repeated campaign starts from its predecessor; what is typed wins.
    let like = args
        .like
        .as_deref()
        .map(|n| store.campaign(n))
        .transpose()?;
    let rule_text = args
        .reviewer_rule
        .as_deref()
        .or(like.as_ref().map(|c| c.reviewer_rule.as_str()))
        .unwrap_or("sponsor");
    let reviewer_rule: ReviewerRule = rule_text
        .parse()
        .map_err(|e: String| UsageError(format!("--reviewer-rule: {e}")))?;
    let close_text = args
        .on_close
        .as_deref()
        .or(like.as_ref().map(|c| c.on_close.as_str()))
        .unwrap_or("keep");
    let on_close: OnClose = close_text
        .parse()
        .map_err(|e: String| UsageError(format!("--on-close: {e}")))?;
    let scope = match &like {
        Some(previous) if args.filters.is_empty() => filters_arg(&previous.scope).map_err(|e| {
            color_eyre::eyre::eyre!(
                "--like {:?}: its scope no longer reads ({e}); give the scope with --where",
                previous.name
            )
        })?,
        _ => filters_arg(&args.filters)?,
    };
    let policy = match &like {
        // The predecessor's policy as it was, self-review handling included.
        Some(previous) => previous.policy.clone(),
        None => {
            // The policy records how self-reviews are handled, resolved here
            // from the mode when the config leaves it unset, so the
            // campaign keeps it.
            let mut policy = env.policy().clone();
            policy
                .self_review
                .get_or_insert(crate::rules::routing::self_review_default(store.mode()?));
            policy
        }
    };
    let spec = NewCampaign {
        name: args.name.trim().to_string(),
        due,
        as_of,
        scope,
        reviewer_rule,
        on_close,
        owner: owner.email.clone(),
        owner_via: owner.via.to_string(),
        created_at: env.now_stamp(),
        policy,
    };
    let campaign = store.create_campaign(&spec)?;
    outln!(
        "{}",
        sanitize(&format!(
            "created campaign {:?}: {} items, due {}, insights as of {}{}",
            campaign.name,
            campaign.items,
            campaign.due,
            campaign.as_of,
            campaign
                .previous
                .as_ref()
                .map(|p| format!(", compared with {p:?}"))
                .unwrap_or_default()
        ))
    )?;
    Ok(())
}

fn list(json: bool, env: &Env) -> Result<()> {
    let store = env.open()?;
    let campaigns = store.campaigns()?;
    if json {
        super::print_json(&campaigns)?;
        return Ok(());
    }
    let mut table = Table::new(&["NAME", "STATE", "ITEMS", "DECIDED", "DUE", "OWNER"]);
    for c in &campaigns {
        table.row(vec![
            c.name.clone(),
            c.state.to_string(),
            c.items.to_string(),
            c.tally.decided().to_string(),
            c.due.to_string(),
            c.owner.clone(),
        ]);
    }
    out!("{}", table.render())?;
    Ok(())
}

fn show(name: &str, json: bool, env: &Env) -> Result<()> {
    let store = env.open()?;
    let c = store.campaign(name)?;
    let parts = store.parts(c.id)?;
    if json {
        /// The campaign with its parts, as one object.
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            #[serde(flatten)]
            campaign: &'a CampaignSummary,
            parts: &'a [Part],
        }
        super::print_json(&Shown {
            campaign: &c,
            parts: &parts,
        })?;
        return Ok(());
    }
    out!("{}", sanitize_lines(&describe(&c)))?;
    out!("{}", sanitize_lines(&describe_parts(&parts)))?;
    let mut lifecycle = String::new();
    for s in store.signoffs(c.id)? {
        lifecycle.push_str(&format!(
            "signed off    by {} ({}) on {}, event {}\n",
            s.signer,
            s.role.as_str(),
            s.at,
            s.seq
        ));
    }
    if let Some(closed) = store.closure(c.id)? {
        lifecycle.push_str(&format!(
            "closed        by {} on {}, event {}\n",
            closed.closed_by, closed.at, closed.seq
        ));
    }
    if let Some(cancelled) = store.cancellation(c.id)? {
        lifecycle.push_str(&format!(
            "cancelled     by {} on {}, event {}: {}\n",
            cancelled.by, cancelled.at, cancelled.seq, cancelled.note
        ));
    }
    out!("{}", sanitize_lines(&lifecycle))?;
    Ok(())
}

/// Ends a campaign made by mistake, saying what it ended.
fn cancel(name: &str, note: &str, env: &Env) -> Result<()> {
    let mut store = env.open()?;
    let actor = env.actor()?;
    let campaign = store.campaign(name)?;
    let at = env.now_stamp();
    let cancelled = store.cancel_campaign(campaign.id, &env.acting(actor, &at), actor, note)?;
    outln!(
        "{}",
        sanitize(&format!(
            "cancelled campaign {:?} (event {}): it takes no more decisions, sign-offs or \
             closes; {} of its {} items were decided",
            campaign.name,
            cancelled.seq,
            campaign.tally.decided(),
            campaign.items
        ))
    )?;
    Ok(())
}

fn describe(c: &CampaignSummary) -> String {
    let t = &c.tally;
    let scope = if c.scope.is_empty() {
        "everything".to_string()
    } else {
        c.scope.join(" and ")
    };
    format!(
        "campaign      {}\nstate         {}\nowner         {}\ncreated       {}\n\
         insights as of {}\ndue           {}\nscope         {}\nreviewers     by {}\n\
         on close      {}\nprevious      {}\nitems         {}\n  undecided   {}\n  \
         attested    {}\n  revoked     {}\n  exception   {}\n  reassigned  {}\n{}",
        c.name,
        c.state,
        c.owner,
        c.created_at,
        c.as_of,
        c.due,
        scope,
        c.reviewer_rule,
        c.on_close,
        c.previous.as_deref().unwrap_or("(none)"),
        c.items,
        t.undecided,
        t.attested,
        t.revoked,
        t.exception,
        t.reassigned,
        // Only once there is one: most campaigns rotate nothing.
        match t.rotate {
            0 => String::new(),
            n => format!("  rotate      {n}\n"),
        },
    )
}

/// Each part on a line: whose, how far decided, and who signed it.
fn describe_parts(parts: &[Part]) -> String {
    let mut out = String::from("parts         by sponsor; items without one are the owner's\n");
    let mut table = Table::new(&["SPONSOR", "ITEMS", "DECIDED", "SIGNED BY", "ON", "NOTE"]);
    for p in parts {
        table.row(vec![
            if p.owners_part {
                format!("{} (owner)", p.sponsor)
            } else {
                p.sponsor.clone()
            },
            p.items.to_string(),
            p.decided.to_string(),
            p.signer.clone().unwrap_or_else(|| "unsigned".into()),
            p.signed_at.clone().unwrap_or_default(),
            p.note.clone().unwrap_or_default(),
        ]);
    }
    for line in table.render().lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn sanitize_lines(text: &str) -> String {
    crate::domain::text::sanitize_multiline(text)
}
