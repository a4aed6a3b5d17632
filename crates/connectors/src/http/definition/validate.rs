//! Validating a raw definition: names, templates, pointers and the flow of variables from
//! step to step, with errors that name the place.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VarKind {
    Scalar,
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Path,
    Query,
    Body,
    Other,
}

pub(super) struct Ctx<'a> {
    pub(super) loc: &'a str,
    pub(super) actions: &'a [TaskAction],
    pub(super) subject: bool,
    pub(super) item: bool,
    pub(super) page: bool,
}

#[derive(Default)]
pub(super) struct Validator {
    pub(super) secrets: BTreeSet<String>,
    pub(super) params: BTreeSet<String>,
    pub(super) vars: HashMap<String, (VarKind, BTreeSet<TaskAction>)>,
}

pub(super) fn name_ok(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 64
}

pub(super) fn pointer(text: &str, loc: &str, field: &str) -> Result<Pointer, String> {
    Pointer::parse(text).map_err(|e| format!("{loc}.{field}: {e}"))
}

pub(super) fn single_pointer(text: &str, loc: &str, field: &str) -> Result<Pointer, String> {
    let p = pointer(text, loc, field)?;
    if p.has_wildcard() {
        return Err(format!("{loc}.{field}: {text:?} must not contain *"));
    }
    Ok(p)
}

pub(super) fn template(text: &str, loc: &str, field: &str) -> Result<Template, String> {
    Template::parse(text).map_err(|e| format!("{loc}.{field}: {e}"))
}

impl Validator {
    pub(super) fn var(&self, name: &str, ctx: &Ctx<'_>, field: &str) -> Result<VarKind, String> {
        let loc = ctx.loc;
        let Some((kind, actions)) = self.vars.get(name) else {
            return Err(format!(
                "{loc}.{field}: {{var.{name}}} is not extracted by an earlier step"
            ));
        };
        if let Some(a) = ctx.actions.iter().find(|a| !actions.contains(a)) {
            return Err(format!(
                "{loc}.{field}: {{var.{name}}} is not extracted by an earlier step that runs for {a}"
            ));
        }
        Ok(*kind)
    }

    pub(super) fn list_var(&self, name: &str, ctx: &Ctx<'_>, field: &str) -> Result<(), String> {
        match self.var(name, ctx, field)? {
            VarKind::List => Ok(()),
            VarKind::Scalar => Err(format!(
                "{}.{field}: {name} is a single value; it must be extracted with a * pointer",
                ctx.loc
            )),
        }
    }

    /// Checks every source of a template; returns the list variables it uses as whole values.
    pub(super) fn check(
        &mut self,
        t: &Template,
        place: Place,
        ctx: &Ctx<'_>,
        field: &str,
    ) -> Result<Vec<String>, String> {
        let loc = ctx.loc;
        let mut lists = Vec::new();
        for p in t.placeholders() {
            for s in &p.alternatives {
                match s {
                    Source::Subject(_) | Source::TaskId | Source::RequestReference
                        if !ctx.subject =>
                    {
                        return Err(format!(
                            "{loc}.{field}: subject, task and request values cannot be used here (only secret.* and param.*)"
                        ));
                    }
                    Source::Subject(_) | Source::TaskId | Source::RequestReference => {}
                    Source::Secret(n) => {
                        self.secrets.insert(n.clone());
                    }
                    Source::Param(n) => {
                        self.params.insert(n.clone());
                    }
                    Source::Var(n) if !ctx.subject => {
                        return Err(format!(
                            "{loc}.{field}: {{var.{n}}} cannot be used here (only secret.* and param.*)"
                        ));
                    }
                    Source::Var(n) => {
                        if self.var(n, ctx, field)? == VarKind::List {
                            let whole = t.whole() == Some(p) && p.alternatives.len() == 1;
                            if !whole || !matches!(place, Place::Query | Place::Body) {
                                return Err(format!(
                                    "{loc}.{field}: {{var.{n}}} is a list; it can only be a whole query or body value (or the for_each of a step)"
                                ));
                            }
                            lists.push(n.clone());
                        }
                    }
                    Source::Item(_) if !ctx.item => {
                        return Err(format!(
                            "{loc}.{field}: {{item}} is only available in a step with for_each"
                        ));
                    }
                    Source::Page if !ctx.page => {
                        return Err(format!(
                            "{loc}.{field}: {{page}} is only available in a step with page pagination"
                        ));
                    }
                    Source::Item(_) | Source::Page => {}
                }
            }
        }
        Ok(lists)
    }

    pub(super) fn json(
        &mut self,
        v: &Value,
        ctx: &Ctx<'_>,
        lists: &mut Vec<String>,
        templates: &mut Vec<Template>,
    ) -> Result<JsonTemplate, String> {
        Ok(match v {
            Value::String(s) => {
                let t = template(s, ctx.loc, "body")?;
                if t.placeholders().next().is_none() {
                    JsonTemplate::Literal(Value::String(t.literal_text()))
                } else {
                    lists.extend(self.check(&t, Place::Body, ctx, "body")?);
                    templates.push(t.clone());
                    JsonTemplate::Text(t)
                }
            }
            Value::Array(items) => JsonTemplate::Array(
                items
                    .iter()
                    .map(|i| self.json(i, ctx, lists, templates))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => JsonTemplate::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.json(v, ctx, lists, templates)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => JsonTemplate::Literal(other.clone()),
        })
    }

    pub(super) fn step(&mut self, index: Option<usize>, raw: RawStep) -> Result<Step, String> {
        let check = index.is_none();
        let loc = match index {
            Some(i) => format!("step[{i}] ({})", raw.name),
            None => "check".to_owned(),
        };
        let loc = loc.as_str();
        if raw.name.trim().is_empty() {
            return Err(format!("{loc}.name: must not be empty"));
        }
        if check {
            if !raw.actions.is_empty() {
                return Err(format!("{loc}.actions: the check step has no actions"));
            }
            if raw.for_each.is_some() || raw.pagination.is_some() || raw.if_nonempty.is_some() {
                return Err(format!(
                    "{loc}: the check step is one request (no for_each, if_nonempty or pagination)"
                ));
            }
        } else {
            if raw.actions.is_empty() {
                return Err(format!(
                    "{loc}.actions: name the actions the step runs for (access, erase, opt_out, restrict)"
                ));
            }
            for a in &raw.actions {
                if !API_ACTIONS.contains(a) {
                    return Err(format!(
                        "{loc}.actions: {a} is not done by API (only access, erase, opt_out, restrict)"
                    ));
                }
            }
            let unique: BTreeSet<_> = raw.actions.iter().collect();
            if unique.len() != raw.actions.len() {
                return Err(format!("{loc}.actions: an action is listed twice"));
            }
        }
        let pagination = match raw.pagination {
            None => None,
            Some(RawPagination::Cursor {
                cursor,
                param,
                max_pages,
            }) => Some(Pagination::Cursor {
                cursor: single_pointer(&cursor, loc, "pagination.cursor")?,
                param,
                max_pages,
            }),
            Some(RawPagination::Page {
                param,
                start,
                items,
                max_pages,
            }) => Some(Pagination::Page {
                param,
                start,
                items: single_pointer(&items, loc, "pagination.items")?,
                max_pages,
            }),
        };
        if let Some(p) = &pagination
            && !(1..=1000).contains(&p.max_pages())
        {
            return Err(format!(
                "{loc}.pagination.max_pages: must be between 1 and 1000"
            ));
        }
        let ctx = Ctx {
            loc,
            actions: &raw.actions,
            subject: !check,
            item: raw.for_each.is_some(),
            page: matches!(pagination, Some(Pagination::Page { .. })),
        };
        let mut lists = Vec::new();
        let mut templates = Vec::new();

        if let Some(var) = &raw.for_each {
            self.list_var(var, &ctx, "for_each")?;
        }
        if let Some(var) = &raw.if_nonempty {
            self.list_var(var, &ctx, "if_nonempty")?;
        }

        if !raw.path.starts_with('/') {
            return Err(format!("{loc}.path: must start with /"));
        }
        let path = template(&raw.path, loc, "path")?;
        if path.literal_text().contains(['?', '#']) {
            return Err(format!(
                "{loc}.path: put query parameters in the step's query table, not in the path"
            ));
        }
        lists.extend(self.check(&path, Place::Path, &ctx, "path")?);
        templates.push(path.clone());
        if let Some(Pagination::Page { param: None, .. }) = &pagination
            && !path.sources().any(|s| *s == Source::Page)
        {
            return Err(format!(
                "{loc}.pagination: without a param, the path must contain {{page}}"
            ));
        }

        let mut query = Vec::new();
        for (k, v) in &raw.query {
            if k.is_empty() {
                return Err(format!("{loc}.query: a parameter name is empty"));
            }
            let t = template(v, loc, &format!("query.{k}"))?;
            lists.extend(self.check(&t, Place::Query, &ctx, &format!("query.{k}"))?);
            templates.push(t.clone());
            query.push((k.clone(), t));
        }

        let body = match (raw.body, raw.body_format) {
            (None, RawBodyFormat::Form) => {
                return Err(format!("{loc}.body_format: form needs a body table"));
            }
            (None, RawBodyFormat::Json) => None,
            (Some(v), RawBodyFormat::Json) => Some(Body::Json(self.json(
                &v,
                &ctx,
                &mut lists,
                &mut templates,
            )?)),
            (Some(Value::Object(map)), RawBodyFormat::Form) => {
                let mut pairs = Vec::new();
                for (k, v) in map {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Number(_) | Value::Bool(_) => v.to_string(),
                        _ => {
                            return Err(format!(
                                "{loc}.body.{k}: form values are text, numbers or booleans"
                            ));
                        }
                    };
                    let t = template(&text, loc, &format!("body.{k}"))?;
                    lists.extend(self.check(&t, Place::Body, &ctx, &format!("body.{k}"))?);
                    templates.push(t.clone());
                    pairs.push((k, t));
                }
                Some(Body::Form(pairs))
            }
            (Some(_), RawBodyFormat::Form) => {
                return Err(format!("{loc}.body: a form body must be a table"));
            }
        };

        let filter = match raw.filter {
            None => None,
            Some(f) => {
                let equals = template(&f.equals, loc, "filter.equals")?;
                self.check(&equals, Place::Other, &ctx, "filter.equals")?;
                templates.push(equals.clone());
                Some(Filter {
                    array: single_pointer(&f.array, loc, "filter.array")?,
                    field: single_pointer(&f.field, loc, "filter.field")?,
                    equals,
                })
            }
        };

        let mut extract = Vec::new();
        let mut own: HashMap<String, VarKind> = HashMap::new();
        for (name, p) in &raw.extract {
            if !name_ok(name) {
                return Err(format!(
                    "{loc}.extract.{name}: variable names are lower case letters, digits and _"
                ));
            }
            let p = pointer(p, loc, &format!("extract.{name}"))?;
            own.insert(
                name.clone(),
                if p.has_wildcard() {
                    VarKind::List
                } else {
                    VarKind::Scalar
                },
            );
            extract.push((name.clone(), p));
        }
        for r in &raw.require {
            if !own.contains_key(r) {
                return Err(format!("{loc}.require: {r} is not extracted by this step"));
            }
        }

        let collect = match raw.collect {
            None => None,
            Some(c) => {
                if c.dataset.trim().is_empty() {
                    return Err(format!("{loc}.collect.dataset: must not be empty"));
                }
                Some(Collect {
                    pointer: pointer(&c.pointer, loc, "collect.pointer")?,
                    dataset: c.dataset,
                })
            }
        };

        for code in raw.not_found.iter().chain(&raw.success) {
            if !(100..=599).contains(code) {
                return Err(format!("{loc}: {code} is not an HTTP status"));
            }
        }
        if let Some(code) = raw.not_found.iter().find(|c| raw.success.contains(c)) {
            return Err(format!("{loc}.not_found: {code} is also listed as success"));
        }

        let count = match raw.count {
            None => None,
            Some(c) => match c.strip_prefix("var.") {
                Some(var) => {
                    match own.get(var) {
                        Some(VarKind::List) => {}
                        Some(VarKind::Scalar) => {
                            return Err(format!("{loc}.count: {var} is not a list"));
                        }
                        None => self.list_var(var, &ctx, "count")?,
                    }
                    Some(Count::Var(var.to_owned()))
                }
                None => Some(Count::Pointer(pointer(&c, loc, "count")?)),
            },
        };

        let note = match raw.note {
            None => None,
            Some(n) => Some(Note {
                pointer: single_pointer(&n.pointer, loc, "note.pointer")?,
                label: n.label,
            }),
        };

        let effect = raw.effect.map(|e| match e {
            RawEffect::Found => Effect::Found,
            RawEffect::Deleted => Effect::Deleted,
            RawEffect::Anonymised => Effect::Anonymised,
            RawEffect::OptedOut => Effect::OptedOut,
            RawEffect::Restricted => Effect::Restricted,
            RawEffect::Requested => Effect::Requested,
        });

        // Register what this step extracts, for the steps after it.
        for (name, kind) in own {
            let entry = self
                .vars
                .entry(name.clone())
                .or_insert((kind, BTreeSet::new()));
            if entry.0 != kind {
                return Err(format!(
                    "{loc}.extract.{name}: extracted elsewhere as a {} value",
                    if entry.0 == VarKind::List {
                        "list"
                    } else {
                        "single"
                    }
                ));
            }
            entry.1.extend(raw.actions.iter().copied());
        }

        lists.sort();
        lists.dedup();
        let target = raw
            .target
            .or_else(|| collect.as_ref().map(|c| c.dataset.clone()))
            .unwrap_or_else(|| raw.name.clone());
        Ok(Step {
            name: raw.name,
            actions: raw.actions,
            method: match raw.method {
                RawMethod::Get => Method::GET,
                RawMethod::Post => Method::POST,
                RawMethod::Put => Method::PUT,
                RawMethod::Patch => Method::PATCH,
                RawMethod::Delete => Method::DELETE,
            },
            path,
            query,
            body,
            for_each: raw.for_each,
            if_nonempty: raw.if_nonempty,
            extract,
            require: raw.require,
            collect,
            filter,
            pagination,
            not_found: raw.not_found,
            success: raw.success,
            effect,
            target,
            count,
            note,
            list_vars: lists,
            templates,
        })
    }
}
