//! The CHECK expressions as the schema files write them, found with sqlparser. Used
//! where PostgreSQL's printed form of a constraint does not read back as the same
//! constraint (see `pg/queries/normalize.sql`): rendering the user's own expression
//! instead gives the live database exactly the desired constraint. Statements sqlparser
//! cannot parse are skipped; every candidate is verified by PostgreSQL before use.
//! Pure: no I/O.

use sqlparser::ast::{AlterTableOperation, ColumnOption, ObjectName, Statement, TableConstraint};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// A CHECK constraint's expression in a schema file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSource {
    /// The table's name without schema, folded as PostgreSQL folds it.
    pub table: String,
    pub name: Option<String>,
    pub expression: String,
}

fn last_name(n: &ObjectName) -> String {
    n.0.last()
        .map(|i| if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() })
        .unwrap_or_default()
}

fn ident(i: &sqlparser::ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

pub fn check_expressions(statements: &[&str]) -> Vec<CheckSource> {
    let mut out = Vec::new();
    for text in statements.iter().filter(|t| t.to_ascii_lowercase().contains("check")) {
        let Ok(parsed) = Parser::parse_sql(&PostgreSqlDialect {}, text) else { continue };
        for stmt in parsed {
            match stmt {
                Statement::CreateTable(ct) => {
                    let table = last_name(&ct.name);
                    for col in &ct.columns {
                        for opt in &col.options {
                            if let ColumnOption::Check(expr) = &opt.option {
                                let name = opt.name.as_ref().map(ident);
                                out.push(CheckSource { table: table.clone(), name, expression: expr.to_string() });
                            }
                        }
                    }
                    for c in &ct.constraints {
                        if let TableConstraint::Check { name, expr } = c {
                            let name = name.as_ref().map(ident);
                            out.push(CheckSource { table: table.clone(), name, expression: expr.to_string() });
                        }
                    }
                }
                Statement::AlterTable { name, operations, .. } => {
                    for op in &operations {
                        if let AlterTableOperation::AddConstraint(TableConstraint::Check { name: c, expr }) = op {
                            let cname = c.as_ref().map(ident);
                            out.push(CheckSource {
                                table: last_name(&name),
                                name: cname,
                                expression: expr.to_string(),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A `CREATE INDEX` from the schema files, re-rendered with another name and table
/// (schema-qualified, so it means the same whatever the search_path), `IF NOT EXISTS`
/// and without `CONCURRENTLY`; `None` when sqlparser cannot read it.
pub fn index_statement(statement: &str, name: &str, table: &[&str]) -> Option<String> {
    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, statement).ok()?;
    let [Statement::CreateIndex(mut ci)] = <[Statement; 1]>::try_from(parsed).ok()? else { return None };
    let quoted = |s: &str| sqlparser::ast::Ident::with_quote('"', s);
    ci.name = Some(ObjectName(vec![quoted(name)]));
    ci.table_name = ObjectName(table.iter().map(|p| quoted(p)).collect());
    ci.if_not_exists = true;
    ci.concurrently = false;
    Some(ci.to_string())
}

/// Names of the indexes the statements create, with the statement's position.
pub fn index_names(statements: &[&str]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (i, text) in statements.iter().enumerate() {
        let head = text.trim_start().get(..40).unwrap_or(text.trim_start()).to_ascii_lowercase();
        if !(head.starts_with("create index") || head.starts_with("create unique index")) {
            continue;
        }
        if let Ok(parsed) = Parser::parse_sql(&PostgreSqlDialect {}, text) {
            for stmt in parsed {
                if let Statement::CreateIndex(ci) = stmt {
                    if let Some(n) = &ci.name {
                        out.push((last_name(n), i));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_column_table_and_alter_checks() {
        let s = [
            "CREATE TABLE public.Orders (status varchar(10) CHECK (status IN ('a', 'b')), n int, CONSTRAINT \"N_pos\" CHECK (n > 0))",
            "ALTER TABLE orders ADD CONSTRAINT small CHECK (n < 10)",
            "CREATE TABLE x (id int)",
        ];
        let found = check_expressions(&s);
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0],
            CheckSource { table: "orders".into(), name: None, expression: "status IN ('a', 'b')".into() }
        );
        assert_eq!(found[1].name.as_deref(), Some("N_pos"));
        assert_eq!(
            found[2],
            CheckSource { table: "orders".into(), name: Some("small".into()), expression: "n < 10".into() }
        );
    }

    #[test]
    fn index_statements_are_renamed_and_qualified() {
        let s = "CREATE INDEX CONCURRENTLY orders_open ON orders (id) WHERE status IN ('a', 'b')";
        assert_eq!(index_names(&[s]), vec![("orders_open".to_string(), 0)]);
        assert_eq!(
            index_statement(s, "tmp", &["public", "orders"]).unwrap(),
            "CREATE INDEX IF NOT EXISTS \"tmp\" ON \"public\".\"orders\"(id) WHERE status IN ('a', 'b')"
        );
    }
}
