//! The tables of a `sql` system, checked at start-up: identifiers, the parent/child links
//! from the subject's table, and what erasure does to each (delete, anonymise, retain under a
//! rule).

use super::*;

pub(super) fn valid_ident(s: &str) -> bool {
    let part_ok = |p: &str| {
        let mut chars = p.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && p.len() <= 63
    };
    let parts: Vec<&str> = s.split('.').collect();
    (1..=2).contains(&parts.len()) && parts.iter().all(|p| part_ok(p))
}

pub(super) fn ident(s: &str, key: &str) -> Result<String, BuildError> {
    if valid_ident(s) {
        Ok(s.to_owned())
    } else {
        Err(BuildError::new(
            key,
            format!(
                "{s:?} is not a plain SQL identifier (letters, digits, _; optionally schema.name)"
            ),
        ))
    }
}

pub(super) fn build_tables(
    system: &System,
    cfgs: &[TableConfig],
) -> Result<Vec<Table>, BuildError> {
    let index: BTreeMap<&str, usize> = cfgs
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    if index.len() != cfgs.len() {
        return Err(BuildError::new("table", "a table is declared twice"));
    }
    let mut tables = Vec::with_capacity(cfgs.len());
    for (i, c) in cfgs.iter().enumerate() {
        let k = |key: &str| format!("table[{i}].{key}");
        let name = ident(&c.name, &k("name"))?;
        let key = ident(c.key.as_deref().unwrap_or("id"), &k("key"))?;
        let mut matches = Vec::new();
        for (field, col) in &c.matches {
            matches.push((*field, ident(col, &k("match"))?));
        }
        let parent = match (&c.parent, &c.foreign_key) {
            (Some(p), Some(fk)) => {
                let pi = *index.get(p.as_str()).ok_or_else(|| {
                    BuildError::new(k("parent"), format!("{p:?} is not a declared table"))
                })?;
                if pi == i {
                    return Err(BuildError::new(
                        k("parent"),
                        "a table cannot be its own parent",
                    ));
                }
                Some((pi, ident(fk, &k("foreign_key"))?))
            }
            (None, None) => None,
            _ => {
                return Err(BuildError::new(
                    k("parent"),
                    "parent and foreign_key go together",
                ));
            }
        };
        if parent.is_some() != matches.is_empty() {
            return Err(BuildError::new(
                k("match"),
                "a table is found either by match columns or through a parent (not both, not neither)",
            ));
        }
        let erase = match c.erase {
            EraseMode::Delete => Erase::Delete,
            EraseMode::Retain => {
                let cat = c.retain.as_deref().ok_or_else(|| {
                    BuildError::new(
                        k("retain"),
                        "erase = \"retain\" needs the retention category of the data map",
                    )
                })?;
                let rule = system.retention_for(cat).ok_or_else(|| {
                    BuildError::new(
                        k("retain"),
                        format!("{cat:?} has no retention rule in this system's data map"),
                    )
                })?;
                Erase::Retain {
                    rule: rule.describe(),
                    from: c
                        .retain_from
                        .as_deref()
                        .map(|col| ident(col, &k("retain_from")).map(|col| (rule.period, col)))
                        .transpose()?,
                }
            }
            EraseMode::Anonymise => {
                let mut sets = Vec::new();
                for (col, v) in &c.anonymise {
                    let col = ident(col, &k("anonymise"))?;
                    let rep = match v {
                        serde_json::Value::String(s) if s.contains("{subject}") => {
                            let (before, after) = s.split_once("{subject}").unwrap_or((s, ""));
                            if after.contains("{subject}") || s.contains("{key}") {
                                return Err(BuildError::new(
                                    k("anonymise"),
                                    format!(
                                        "{col}: use {{subject}} once, and not with {{key}} (the subject's pseudonym already tells the rows apart from other people's)"
                                    ),
                                ));
                            }
                            Replacement::SubjectTemplate(before.to_owned(), after.to_owned())
                        }
                        serde_json::Value::String(s) if s.contains("{key}") => {
                            Replacement::KeyTemplate(s.split("{key}").map(str::to_owned).collect())
                        }
                        other => Replacement::Value(Bind::from_json(other).ok_or_else(|| {
                            BuildError::new(
                                k("anonymise"),
                                "values must be text, numbers or booleans",
                            )
                        })?),
                    };
                    sets.push((col, rep));
                }
                for col in &c.nullify {
                    let col = ident(col, &k("nullify"))?;
                    if sets.iter().any(|(c, _)| *c == col) {
                        return Err(BuildError::new(
                            k("nullify"),
                            format!("{col} is also in anonymise: give each column one replacement"),
                        ));
                    }
                    sets.push((col, Replacement::Value(Bind::Null)));
                }
                if sets.is_empty() {
                    return Err(BuildError::new(
                        k("anonymise"),
                        "erase = \"anonymise\" needs columns to overwrite (anonymise or nullify)",
                    ));
                }
                Erase::Anonymise(sets)
            }
        };
        if c.erase != EraseMode::Retain && c.retain_from.is_some() {
            return Err(BuildError::new(
                k("retain_from"),
                "only used with erase = \"retain\"",
            ));
        }
        if c.erase != EraseMode::Retain && c.retain.is_some() {
            return Err(BuildError::new(
                k("retain"),
                "only used with erase = \"retain\"",
            ));
        }
        if c.opt_out.as_ref().is_some_and(|o| o.lifted.is_some()) {
            return Err(BuildError::new(
                k("opt_out"),
                "lifted is for restrict only: an opt-out is never lifted by dsrflow",
            ));
        }
        let column_set =
            |cs: &Option<ColumnSet>, key: &str| -> Result<Option<(String, Bind)>, BuildError> {
                cs.as_ref()
                    .map(|s| {
                        Ok((
                            ident(&s.column, &k(key))?,
                            Bind::from_json(&s.value).ok_or_else(|| {
                                BuildError::new(k(key), "value must be text, a number or a boolean")
                            })?,
                        ))
                    })
                    .transpose()
            };
        tables.push(Table {
            name,
            key,
            matches,
            parent,
            erase,
            opt_out: column_set(&c.opt_out, "opt_out")?,
            restrict: column_set(&c.restrict, "restrict")?,
            lift: match &c.restrict {
                Some(ColumnSet {
                    column,
                    lifted: Some(v),
                    ..
                }) => Some((
                    ident(column, &k("restrict"))?,
                    Bind::from_json(v).ok_or_else(|| {
                        BuildError::new(k("restrict"), "lifted must be text, a number or a boolean")
                    })?,
                )),
                _ => None,
            },
            rectify: c
                .rectify
                .iter()
                .map(|(field, column)| {
                    let valid_field = !field.is_empty()
                        && field.len() <= 64
                        && field
                            .chars()
                            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
                    if !valid_field {
                        return Err(BuildError::new(
                            k("rectify"),
                            format!("{field:?} is not a detail name (a-z, 0-9, '_')"),
                        ));
                    }
                    Ok((field.clone(), ident(column, &k("rectify"))?))
                })
                .collect::<Result<_, _>>()?,
            depth: 0,
        });
    }
    // Depths, rejecting cycles.
    for i in 0..tables.len() {
        let mut depth = 0;
        let mut cur = i;
        while let Some((p, _)) = &tables[cur].parent {
            depth += 1;
            cur = *p;
            if depth > tables.len() {
                return Err(BuildError::new(
                    format!("table[{i}].parent"),
                    "the parent links form a cycle",
                ));
            }
        }
        tables[i].depth = depth;
    }
    // A deleted parent would take (or be blocked by) a retained child.
    for (i, t) in tables.iter().enumerate() {
        if let (Erase::Retain { .. }, Some((p, _))) = (&t.erase, &t.parent)
            && matches!(tables[*p].erase, Erase::Delete)
        {
            return Err(BuildError::new(
                format!("table[{i}].erase"),
                format!(
                    "{} is retained but its parent {} is deleted: anonymise the parent instead",
                    t.name, tables[*p].name
                ),
            ));
        }
    }
    Ok(tables)
}
