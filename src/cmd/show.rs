//! `schemaspec show VERSION`: one migration as the project and the database know it:
//! its file, its state, when and by whom it ran, its hazards, and its way back (the
//! `rollback_sql` the tracking table recorded, else the file's `-- schemaspec:down`
//! block).

use super::*;
use crate::history;

pub struct Args {
    pub version: String,
    pub format: Format,
}

/// What `show` reports (docs/json.md).
#[derive(serde::Serialize)]
struct Report {
    version: String,
    name: String,
    /// The file as the user sees it; null when only the tracking table has it.
    file: Option<String>,
    state: history::MigrationState,
    applied_at: Option<String>,
    applied_by: Option<String>,
    hazards: Vec<String>,
    /// The way back, as SQL of its own; null when there is none.
    rollback_sql: Option<String>,
    /// Where it was read: `tracking_table` or `file`; null when there is none.
    rollback_source: Option<&'static str>,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let Histories { dir, client, tracking, status, .. } = histories(config).await?;
    let Some(state) = status.iter().find(|s| s.version == args.version) else {
        let newest: Vec<&str> = status.iter().rev().take(5).map(|s| s.version.as_str()).collect();
        return Err(Error::failed(
            format!(
                "version {} is neither a file in {} nor recorded in {}",
                args.version,
                config.migrations_dir.display(),
                tracking.qualified()
            ),
            if newest.is_empty() {
                "there are no migrations yet: `schemaspec generate` writes the first".to_string()
            } else {
                format!("`schemaspec status` lists them; the newest are {}", newest.join(", "))
            },
        ));
    };
    let recorded = tracking.recorded(&client, Some(&args.version)).await?.remove(&args.version);
    let file = dir.migrations.iter().find(|m| m.version == args.version);
    let from_file = file.and_then(|m| crate::plan::files::down_block(&m.content)).map(|d| d.sql);
    let (rollback_sql, rollback_source) = match (recorded.as_ref().and_then(|r| r.rollback_sql.clone()), from_file) {
        (Some(sql), _) => (Some(sql), Some("tracking_table")),
        (None, Some(sql)) => (Some(sql), Some("file")),
        (None, None) => (None, None),
    };
    let hazards = match (file, recorded.as_ref().and_then(|r| r.content.as_ref())) {
        (Some(m), _) => crate::lint::file_hazards(m),
        (None, Some(text)) => crate::lint::file_hazards(&new_migration(&state.version, "recorded", text.clone())?),
        (None, None) => Vec::new(),
    };
    let report = Report {
        version: state.version.clone(),
        name: state.name.clone(),
        file: file.map(|m| {
            let p = config.migrations_dir.join(&m.file_name);
            p.strip_prefix(&config.root).unwrap_or(&p).display().to_string()
        }),
        state: state.state,
        applied_at: recorded.as_ref().and_then(|r| r.applied_at.clone()),
        applied_by: recorded.as_ref().and_then(|r| r.applied_by.clone()),
        hazards: hazards.into_iter().map(|(_, h)| h).collect::<std::collections::BTreeSet<_>>().into_iter().collect(),
        rollback_sql,
        rollback_source,
    };
    if args.format == Format::Json {
        write_json(out, &report)?;
        return Ok(EXIT_OK);
    }
    let state_name =
        serde_json::to_value(report.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    writeln!(out, "{} {}", report.version, report.name).map_err(io)?;
    writeln!(out, "  file:    {}", report.file.as_deref().unwrap_or("(none here: only the tracking table has it)"))
        .map_err(io)?;
    let ran = match (&report.applied_at, &report.applied_by) {
        (Some(at), Some(by)) => format!(" ({at} by {by})"),
        (Some(at), None) => format!(" ({at})"),
        (None, _) => String::new(),
    };
    writeln!(out, "  state:   {}{ran}", super::style::paint(super::style::state(report.state), &state_name))
        .map_err(io)?;
    writeln!(out, "  hazards: {}", if report.hazards.is_empty() { "none".into() } else { report.hazards.join(", ") })
        .map_err(io)?;
    match (&report.rollback_sql, report.rollback_source) {
        (Some(sql), Some(source)) => {
            let from = if source == "tracking_table" { "recorded when it was applied" } else { "from its file" };
            writeln!(out, "\nWay back ({from}):\n").map_err(io)?;
            write!(out, "{sql}").map_err(io)?;
            writeln!(
                out,
                "\nIt is not run for you: `schemaspec revert --to` the version before computes and proves the way back against the database as it is now."
            )
            .map_err(io)?;
        }
        _ => writeln!(
            out,
            "\nNo way back is recorded (a hand-written file without a `-- schemaspec:down` block, or one generated before they were written): `schemaspec revert --to` the version before computes one."
        )
        .map_err(io)?,
    }
    Ok(EXIT_OK)
}
