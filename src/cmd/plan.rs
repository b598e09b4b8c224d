//! `schemaspec plan`: what would change in the database, in order, with hazards.

use super::*;
use crate::plan::{self, Plan};

pub struct Args {
    pub format: Format,
    pub exit_code: bool,
    /// Fail on objects of kinds schemaspec does not manage (in the files or the database).
    pub strict: bool,
}

pub async fn run(config: &Config, args: &Args, out: &mut dyn Write) -> Result<i32, Error> {
    let started = std::time::Instant::now();
    prefetch_desired(config);
    let live_target = live_target(config).await?;
    let dev = dev_target(config).await?;
    let client = pg::connect(&live_target).await?;
    // The live side is read while the schema files load, where a cold load is due.
    let reading = async {
        let live = read_live(config, &client, &live_target.display).await?;
        // (A wider read when the scope is narrowed; else the live catalog itself.)
        let wide = match environment(config, &client, &live).await? {
            std::borrow::Cow::Borrowed(_) => None,
            std::borrow::Cow::Owned(wide) => Some(wide),
        };
        timing("introspect_live", started);
        Ok::<_, Error>((live, wide))
    };
    let (read, early) = tokio::join!(reading, early_desired(config, &dev));
    let (live, wide) = read?;
    let env = wide.as_ref().unwrap_or(&live);
    let (desired, mut notes) = desired_catalog_early(config, &dev, env, early).await?;
    let started = std::time::Instant::now();
    let plan = plan::build(&live, &desired, config.plan_options()).map_err(|e| Error::Cycle(e.members))?;
    timing("diff_order_render", started);
    notes.extend(plan.notes());
    let unmodeled = unmodeled_notes(&live, &desired);
    notes.extend(unmodeled.iter().cloned());
    print_plan(&plan, &notes, args.format, out)?;
    if args.strict && !unmodeled.is_empty() {
        return Err(Error::failed(
            format!("{} object(s) of kinds schemaspec does not manage (--strict):{}", unmodeled.len(), super::listed(&unmodeled)),
            "manage them with hand-written migrations and drop `--strict`, or remove them; they are never part of a plan",
        ));
    }
    Ok(if args.exit_code && !plan.is_empty() { EXIT_CHANGES } else { EXIT_OK })
}

/// One note per object of a kind schemaspec does not manage: in the schema files (never
/// planned, so never reaching a database) or in the database (left as it is).
pub fn unmodeled_notes(live: &crate::catalog::Catalog, desired: &crate::catalog::Catalog) -> Vec<String> {
    // `schema.name`, or the name alone for objects outside schemas.
    let object = |kind: &str, schema: &str, name: &str| {
        if schema.is_empty() {
            format!("{kind} {name}")
        } else {
            format!("{kind} {schema}.{name}")
        }
    };
    let in_files = desired.unmodeled.iter().map(|(kind, schema, name)| {
        format!(
            "not managed: the schema files create {}, which schemaspec does not manage yet; no plan creates it",
            object(kind, schema, name)
        )
    });
    let in_database = live.unmodeled.iter().filter(|o| !desired.unmodeled.contains(*o)).map(|(kind, schema, name)| {
        format!(
            "not managed: the database has {}, which schemaspec does not manage yet; it is left as it is",
            object(kind, schema, name)
        )
    });
    in_files.chain(in_database).collect()
}

pub fn print_plan(plan: &Plan, notes: &[String], format: Format, out: &mut dyn Write) -> Result<(), Error> {
    if format == Format::Json {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            changes: usize,
            hazards: Vec<&'static str>,
            notes: &'a [String],
            steps: &'a [plan::Step],
        }
        let hazards = plan.hazards().into_iter().map(|h| h.name()).collect();
        return write_json(out, &Report { changes: plan.steps.len(), hazards, notes, steps: &plan.steps });
    }
    use super::style::{paint, ALTER, CREATE, DROP, HAZARD, HEADING, NOTE};
    for n in notes {
        writeln!(out, "{} {n}", paint(NOTE, "note:")).map_err(io)?;
    }
    if plan.is_empty() {
        writeln!(out, "No changes: the database matches the schema.").map_err(io)?;
        return Ok(());
    }
    let hazards = plan.hazards();
    let summary = if hazards.is_empty() {
        String::new()
    } else {
        format!(" (hazards: {})", paint(HAZARD, &hazards.iter().map(|h| h.name()).collect::<Vec<_>>().join(", ")))
    };
    let count = format!("Plan: {} change{}", plan.steps.len(), if plan.steps.len() == 1 { "" } else { "s" });
    writeln!(out, "{}{summary}", paint(HEADING, &count)).map_err(io)?;
    for (i, step) in plan.steps.iter().enumerate() {
        let h = if step.hazards.is_empty() {
            String::new()
        } else {
            format!("  [{}]", paint(HAZARD, &step.hazards.iter().map(|h| h.name()).collect::<Vec<_>>().join(", ")))
        };
        // Colored by effect: what is made, what is changed in place, what goes.
        let effect = match step.change.phase() {
            crate::diff::Phase::Drop => DROP,
            crate::diff::Phase::Create if step.change.is_create() => CREATE,
            crate::diff::Phase::Create => ALTER,
        };
        writeln!(out, "\n{}{h}", paint(effect, &format!("-- {}. {}", i + 1, step.description))).map_err(io)?;
        for s in &step.statements {
            writeln!(out, "{}", s.sql).map_err(io)?;
        }
    }
    Ok(())
}
