//! Synthetic but realistic schemas for the benchmark, deterministic from a seed: per
//! table 10 columns of varied types, 2 indexes and a foreign key; views over about 10 %
//! of the tables, trigger functions with their triggers on 5 %, RLS policies on 10 %,
//! enums, comments and grants. `changed` gives the "new" side of the change scenario:
//! 5 % of the tables altered (a column added with an index, a varchar widened, a default
//! changed, a policy's condition changed, a view gaining a column).

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

pub fn generate(tables: usize, seed: u64, changed: bool) -> Schema {
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
        body.push('\n');
        if (i + 1) % 100 == 0 || i + 1 == tables {
            files.push((format!("{:03}_tables.sql", i / 100 + 1), std::mem::take(&mut body)));
        }
    }
    Schema { files }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
