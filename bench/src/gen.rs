//! Synthetic but realistic schemas for the benchmark, deterministic from a seed: per
//! table 10 columns of varied types, 2 indexes and a foreign key; views over about 10 %
//! of the tables, trigger functions with their triggers on 5 %, RLS policies on 10 %,
//! enums, comments and grants. `changed` gives the "new" side of the change scenario:
//! 5 % of the tables altered (a column added with an index, a varchar widened, a default
//! changed, a policy's condition changed, a view gaining a column).
//!
//! Two profiles stress other shapes on top of that (`Profile`): `grants`, where every
//! table has grants to three roles (column grants among them) and three RLS policies;
//! and `functions`, where every table has eight routines (SQL and PL/pgSQL functions, a
//! set-returning one, a procedure, a trigger function with its trigger).

use std::fmt::Write;

/// xorshift64*: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub struct Schema {
    /// (file name, contents), about 100 tables per file.
    pub files: Vec<(String, String)>,
}

impl Schema {
    pub fn text(&self) -> String {
        self.files.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n")
    }
}

/// The shape of a generated schema besides its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Standard,
    /// Grants to `ROLES` on every table (column grants too) and three policies each.
    Grants,
    /// Eight routines per table.
    Functions,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Standard => "standard",
            Profile::Grants => "grants",
            Profile::Functions => "functions",
        }
    }

    pub fn parse(name: &str) -> Option<Profile> {
        [Profile::Standard, Profile::Grants, Profile::Functions].into_iter().find(|p| p.name() == name)
    }
}

/// The roles the `grants` profile grants to: they must exist on the server first.
pub const ROLES: [&str; 3] = ["bench_reader", "bench_writer", "bench_app"];

pub fn generate_profile(profile: Profile, tables: usize, seed: u64, changed: bool) -> Schema {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let enums = (tables / 100).max(3);
    let mut head = String::from("CREATE SCHEMA IF NOT EXISTS app;\n\n");
    for e in 0..enums {
        let _ = writeln!(head, "CREATE TYPE app.status_{e} AS ENUM ('new', 'active', 'paused', 'closed');");
    }
    head.push('\n');
    let _ = writeln!(
        head,
        "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND\n$$;\n"
    );
    if profile == Profile::Grants {
        let _ = writeln!(head, "GRANT USAGE ON SCHEMA app TO {};\n", ROLES.join(", "));
    }
    let mut files = vec![("000_types.sql".to_string(), head)];
    let mut body = String::new();
    for i in 0..tables {
        let alter = changed && i % 20 == 7;
        let t = format!("app.t{i:05}");
        let status = rng.below(enums as u64);
        let name_len = if alter && i % 3 == 0 { 200 } else { 120 };
        let default_priority = if alter && i % 3 == 1 { 5 } else { 0 };
        let _ = write!(
            body,
            "CREATE TABLE {t} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  \
             name varchar({name_len}) NOT NULL,\n  status app.status_{status} NOT NULL DEFAULT 'new',\n  \
             priority integer NOT NULL DEFAULT {default_priority},\n  amount numeric(12,2),\n  \
             active boolean NOT NULL DEFAULT true,\n  payload jsonb,\n  external_id uuid,\n  \
             created_at timestamptz NOT NULL DEFAULT now(),\n  updated_at timestamptz,\n  owner text DEFAULT current_user"
        );
        if i > 0 {
            let parent = rng.below(i as u64);
            let _ = write!(body, ",\n  parent_id bigint REFERENCES app.t{parent:05} (id) ON DELETE SET NULL");
        }
        if alter {
            body.push_str(",\n  note text");
        }
        body.push_str("\n);\n");
        let _ = writeln!(body, "CREATE INDEX t{i:05}_name ON {t} (name);");
        let _ = writeln!(body, "CREATE INDEX t{i:05}_status_created ON {t} (status, created_at DESC);");
        if alter {
            let _ = writeln!(body, "CREATE INDEX t{i:05}_note ON {t} (note) WHERE note IS NOT NULL;");
        }
        let _ = writeln!(body, "COMMENT ON TABLE {t} IS 'Synthetic table {i} of {tables}.';");
        if i % 10 == 3 {
            let extra = if alter { ", amount" } else { "" };
            let _ = writeln!(body, "CREATE VIEW app.v{i:05} AS SELECT id, name, status{extra} FROM {t} WHERE active;");
            let _ = writeln!(body, "GRANT SELECT ON app.v{i:05} TO PUBLIC;");
        }
        if i % 20 == 5 {
            let _ = writeln!(
                body,
                "CREATE TRIGGER t{i:05}_touch BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION app.touch();"
            );
        }
        if i % 10 == 1 {
            let cond = if alter { "owner = current_user OR active" } else { "owner = current_user" };
            let _ = writeln!(body, "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;");
            let _ = writeln!(body, "CREATE POLICY t{i:05}_own ON {t} USING ({cond});");
        }
        if i % 10 == 0 {
            let _ = writeln!(body, "GRANT SELECT, INSERT ON {t} TO PUBLIC;");
        }
        match profile {
            Profile::Standard => {}
            Profile::Grants => grants(&mut body, i, &t, alter),
            Profile::Functions => functions(&mut body, i, &t, status, alter),
        }
        body.push('\n');
        if (i + 1) % 100 == 0 || i + 1 == tables {
            files.push((format!("{:03}_tables.sql", i / 100 + 1), std::mem::take(&mut body)));
        }
    }
    Schema { files }
}

/// The `grants` profile's part of table `i`.
fn grants(body: &mut String, i: usize, t: &str, alter: bool) {
    let [reader, writer, app] = ROLES;
    let columns = if alter { "name, priority" } else { "name" };
    let _ = writeln!(body, "GRANT SELECT ON {t} TO {reader};");
    let _ = writeln!(body, "GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {writer};");
    let _ = writeln!(body, "GRANT SELECT (id, name, status), UPDATE ({columns}) ON {t} TO {app};");
    let _ = writeln!(body, "GRANT USAGE ON SEQUENCE app.t{i:05}_id_seq TO {writer};");
    if i % 10 != 1 {
        let _ = writeln!(body, "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;");
    }
    let floor = if alter { 1 } else { 0 };
    let _ = writeln!(body, "CREATE POLICY t{i:05}_read ON {t} FOR SELECT TO {reader}, {app} USING (active);");
    let _ =
        writeln!(body, "CREATE POLICY t{i:05}_write ON {t} FOR INSERT TO {writer} WITH CHECK (owner = current_user);");
    let _ = writeln!(
        body,
        "CREATE POLICY t{i:05}_update ON {t} FOR UPDATE TO {writer} USING (owner = current_user) WITH CHECK (priority >= {floor});"
    );
}

/// The `functions` profile's part of table `i` (whose status column has type `status_{status}`).
fn functions(body: &mut String, i: usize, t: &str, status: u64, alter: bool) {
    let f = format!("app.t{i:05}");
    let only_ranked = if alter { " AND priority >= 0" } else { "" };
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_get(p_id bigint) RETURNS {t} LANGUAGE sql STABLE AS $$ SELECT * FROM {t} WHERE id = p_id $$;"
    );
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_count(p_active boolean DEFAULT true) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM {t} WHERE active = p_active{only_ranked} $$;"
    );
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_search(p_q text) RETURNS SETOF {t} LANGUAGE sql STABLE AS $$ SELECT * FROM {t} WHERE name ILIKE '%' || p_q || '%' ORDER BY id $$;"
    );
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_total(p_status app.status_{status}) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(amount), 0) FROM {t} WHERE status = p_status $$;"
    );
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_label(p_id bigint) RETURNS text LANGUAGE sql STABLE AS $$ SELECT (({f}_get(p_id))).name $$;"
    );
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_rename(p_id bigint, p_name text) RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE {t} SET name = p_name WHERE id = p_id;\n  IF NOT FOUND THEN\n    RAISE EXCEPTION 'no row %', p_id;\n  END IF;\nEND\n$$;"
    );
    let _ = writeln!(
        body,
        "CREATE PROCEDURE {f}_archive(p_before timestamptz) LANGUAGE sql AS $$ DELETE FROM {t} WHERE created_at < p_before $$;"
    );
    let _ = writeln!(
        body,
        "CREATE FUNCTION {f}_audit() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.updated_at := now();\n  NEW.priority := greatest(NEW.priority, 0);\n  RETURN NEW;\nEND\n$$;"
    );
    let _ = writeln!(
        body,
        "CREATE TRIGGER t{i:05}_audit BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {f}_audit();"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(tables: usize, seed: u64, changed: bool) -> Schema {
        generate_profile(Profile::Standard, tables, seed, changed)
    }

    #[test]
    fn same_seed_same_schema_and_five_percent_changed() {
        let a = generate(200, 7, false).text();
        assert_eq!(a, generate(200, 7, false).text());
        assert_ne!(a, generate(200, 8, false).text());
        let b = generate(200, 7, true).text();
        assert_eq!(b.matches("note text").count(), 10, "5 % of 200 tables gain a column");
        assert_eq!(a.matches("CREATE TABLE").count(), 200);
        assert_eq!(a.matches("CREATE VIEW").count(), 20);
        assert_eq!(a.matches("CREATE TRIGGER").count(), 10);
        assert_eq!(a.matches("CREATE POLICY").count(), 20);
    }

    #[test]
    fn profiles_add_their_shapes_and_change_with_the_rest() {
        let grants = generate_profile(Profile::Grants, 100, 1, false).text();
        assert_eq!(grants.matches("CREATE POLICY").count(), 10 + 300);
        assert_eq!(grants.matches("TO bench_app;").count(), 100);
        assert_ne!(grants, generate_profile(Profile::Grants, 100, 1, true).text());
        let functions = generate_profile(Profile::Functions, 100, 1, false).text();
        assert_eq!(functions.matches("CREATE FUNCTION").count(), 1 + 7 * 100);
        assert_eq!(functions.matches("CREATE PROCEDURE").count(), 100);
        let changed = generate_profile(Profile::Functions, 100, 1, true).text();
        assert_eq!(changed.matches("AND priority >= 0").count(), 5);
        assert_eq!(Profile::parse("grants"), Some(Profile::Grants));
    }
}
