//! Running a definition's steps: rendering each request from the subject and earlier
//! answers, paging, and collecting records and effects.

use super::*;

/// The state of one call: variables, the report being built, and what to mask in errors.
pub(super) struct Run<'a> {
    pub(super) action: Option<TaskAction>,
    pub(super) subject: Option<&'a Subject>,
    pub(super) task_id: Option<Uuid>,
    pub(super) reference: Option<&'a str>,
    pub(super) vars: HashMap<String, Value>,
    pub(super) report: Report,
    pub(super) notes: Vec<String>,
    pub(super) masks: Vec<String>,
}

/// Whether a placeholder of the template can never resolve in this call (all its
/// alternatives are subject fields or variables, and none is present).
pub(super) fn unresolvable(t: &Template, scope: &Scope<'_>) -> bool {
    t.placeholders().any(|p| {
        p.alternatives.iter().all(|s| {
            matches!(
                s,
                Source::Subject(_) | Source::Var(_) | Source::TaskId | Source::RequestReference
            )
        }) && scope.resolve(p).is_none()
    })
}

/// Renders name/value pairs (a query or a form); a whole list placeholder repeats the name.
pub(super) fn render_pairs(
    fields: &[(String, Template)],
    scope: &Scope<'_>,
) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (k, t) in fields {
        match t.whole().map(|p| scope.resolve(p)) {
            Some(None) => return None,
            Some(Some(Value::Array(items))) => {
                pairs.extend(items.iter().map(|i| (k.clone(), value_text(i))));
            }
            _ => pairs.push((k.clone(), t.render(scope, Escape::None)?)),
        }
    }
    Some(pairs)
}

pub(super) fn render_json(t: &JsonTemplate, scope: &Scope<'_>) -> Option<Value> {
    Some(match t {
        JsonTemplate::Literal(v) => v.clone(),
        JsonTemplate::Text(t) => t.render_value(scope)?,
        JsonTemplate::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render_json(i, scope))
                .collect::<Option<_>>()?,
        ),
        JsonTemplate::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| Some((k.clone(), render_json(v, scope)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// The base URL with an (already encoded) path appended to its own path.
pub(super) fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url
}

pub(super) fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = names.map(String::as_str).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

impl HttpConnector {
    pub(super) fn scope<'s>(
        &'s self,
        run: &'s Run<'_>,
        item: Option<&'s Value>,
        page: Option<u64>,
    ) -> Scope<'s> {
        Scope {
            subject: run.subject,
            secrets: &self.secrets,
            params: &self.params,
            vars: &run.vars,
            item,
            page,
            task_id: run.task_id,
            reference: run.reference,
        }
    }

    /// Renders a step's request; None when a value it needs is absent.
    pub(super) fn build_request(
        &self,
        step: &Step,
        scope: &Scope<'_>,
        cursor: Option<&str>,
    ) -> Option<Request> {
        let path = step.path.render(scope, Escape::PathSegment)?;
        let mut url = join_path(&self.base, &path);
        let mut pairs = render_pairs(&step.query, scope)?;
        match &step.pagination {
            Some(Pagination::Cursor { param, .. }) => {
                if let Some(c) = cursor {
                    pairs.push((param.clone(), c.to_owned()));
                }
            }
            Some(Pagination::Page {
                param: Some(param), ..
            }) => pairs.push((param.clone(), scope.page?.to_string())),
            _ => {}
        }
        if !pairs.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let body = match &step.body {
            None => None,
            Some(Body::Json(t)) => Some(RequestBody::Json(render_json(t, scope)?)),
            Some(Body::Form(fields)) => Some(RequestBody::Form(encode_form(&render_pairs(
                fields, scope,
            )?))),
        };
        Some(Request {
            method: step.method.clone(),
            url,
            body,
        })
    }

    /// Runs one step: its requests (per element and page), then its report item.
    pub(super) async fn run_step(
        &self,
        step: &Step,
        run: &mut Run<'_>,
    ) -> Result<(), ConnectorError> {
        let what = self.what(&step.name);
        // A value the step needs is absent: skip it (the steps using its variables skip too).
        {
            let scope = self.scope(run, None, None);
            let unset = |v: &String| !run.vars.contains_key(v);
            if step.for_each.as_ref().is_some_and(unset)
                || step.if_nonempty.as_ref().is_some_and(unset)
                || step.templates.iter().any(|t| unresolvable(t, &scope))
            {
                tracing::debug!(step = %what, "skipped: a value it needs is absent");
                return Ok(());
            }
        }
        let collecting = run.action == Some(TaskAction::Access) && step.collect.is_some();
        let reportable = collecting || step.effect.is_some();
        let empty = |v: &String| {
            run.vars
                .get(v)
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        };
        let items: Vec<Option<Value>> = match &step.for_each {
            Some(v) => run
                .vars
                .get(v)
                .and_then(Value::as_array)
                .map(|a| a.iter().cloned().map(Some).collect())
                .unwrap_or_default(),
            None => vec![None],
        };
        if items.is_empty()
            || step.if_nonempty.as_ref().is_some_and(empty)
            || step.list_vars.iter().any(empty)
        {
            if reportable {
                run.report.items.push(Item {
                    target: step.target.clone(),
                    effect: Effect::NotFound,
                    count: 0,
                    rule: None,
                    until: None,
                });
            }
            return Ok(());
        }

        for (name, p) in &step.extract {
            if p.has_wildcard() {
                run.vars.insert(name.clone(), Value::Array(Vec::new()));
            }
        }
        let mut successes = 0u64;
        let mut counted = 0u64;
        let mut records = Vec::new();
        let mut truncated = false;
        for item in &items {
            let mut page = match &step.pagination {
                Some(Pagination::Page { start, .. }) => Some(*start),
                _ => None,
            };
            let mut cursor: Option<String> = None;
            let mut pages = 0u32;
            loop {
                let req = {
                    let scope = self.scope(run, item.as_ref(), page);
                    self.build_request(step, &scope, cursor.as_deref())
                };
                let Some(req) = req else {
                    break;
                };
                let Some(mut body) = self.call(step, &req, &run.masks).await? else {
                    break;
                };
                successes += 1;
                pages += 1;
                // Whether there is a next page is decided on the unfiltered answer.
                let next = match &step.pagination {
                    None => None,
                    Some(Pagination::Cursor { cursor: p, .. }) => p
                        .select_one(&body)
                        .map(value_text)
                        .filter(|c| !c.is_empty())
                        .map(Some),
                    Some(Pagination::Page { items, .. }) => items
                        .select_one(&body)
                        .and_then(Value::as_array)
                        .is_some_and(|a| !a.is_empty())
                        .then_some(None),
                };
                if let Some(f) = &step.filter {
                    let want = {
                        let scope = self.scope(run, item.as_ref(), page);
                        f.equals.render(&scope, Escape::None)
                    };
                    if let Some(Value::Array(elements)) = f.array.select_mut(&mut body) {
                        elements.retain(|e| match (&want, f.field.select_one(e)) {
                            (Some(w), Some(v)) => value_text(v).to_lowercase() == w.to_lowercase(),
                            _ => false,
                        });
                    }
                }
                for (name, p) in &step.extract {
                    if p.has_wildcard() {
                        let found: Vec<Value> = p.select(&body).into_iter().cloned().collect();
                        if let Some(Value::Array(list)) = run.vars.get_mut(name) {
                            list.extend(found);
                        }
                    } else if let Some(v) = p.select_one(&body) {
                        run.vars.insert(name.clone(), v.clone());
                    }
                }
                if collecting && let Some(c) = &step.collect {
                    records.extend(c.pointer.select(&body).into_iter().cloned());
                }
                if let Some(Count::Pointer(p)) = &step.count {
                    counted += p.select(&body).len() as u64;
                }
                if let Some(n) = &step.note
                    && let Some(v) = n.pointer.select_one(&body)
                {
                    run.notes.push(format!(
                        "{}{}",
                        n.label.as_deref().unwrap_or_default(),
                        value_text(v)
                    ));
                }
                match next {
                    None => break,
                    Some(_)
                        if step
                            .pagination
                            .as_ref()
                            .is_some_and(|p| pages >= p.max_pages()) =>
                    {
                        tracing::warn!(step = %what, pages, "stopped at the page guard (max_pages)");
                        truncated = true;
                        break;
                    }
                    Some(Some(c)) => cursor = Some(c),
                    Some(None) => page = page.map(|p| p + 1),
                }
            }
        }

        for r in &step.require {
            let present = run.vars.get(r).is_some_and(|v| match v {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => true,
            });
            if !present {
                return Err(ConnectorError::permanent(format!(
                    "{what}: the answer has no {r} (wrong credentials or parameters?)"
                )));
            }
        }

        if collecting && let Some(c) = &step.collect {
            let n = records.len() as u64;
            run.report.items.push(Item {
                target: c.dataset.clone(),
                effect: if n > 0 {
                    Effect::Found
                } else {
                    Effect::NotFound
                },
                count: n,
                rule: None,
                until: None,
            });
            if n > 0 {
                match run.report.data.iter_mut().find(|d| d.name == c.dataset) {
                    Some(d) => {
                        d.records.extend(records);
                        d.truncated |= truncated;
                    }
                    None => run.report.data.push(Dataset {
                        name: c.dataset.clone(),
                        records,
                        truncated,
                    }),
                }
            }
        } else if let Some(effect) = step.effect {
            let count = match &step.count {
                None => successes,
                Some(Count::Pointer(_)) => counted,
                Some(Count::Var(v)) if successes > 0 => run
                    .vars
                    .get(v)
                    .and_then(Value::as_array)
                    .map_or(0, |a| a.len() as u64),
                Some(Count::Var(_)) => 0,
            };
            run.report.items.push(Item {
                target: step.target.clone(),
                effect: if count > 0 { effect } else { Effect::NotFound },
                count,
                rule: None,
                until: None,
            });
        }
        Ok(())
    }

    pub(super) fn manual_instructions(
        &self,
        action: TaskAction,
        kind: dsrflow_domain::RequestKind,
    ) -> String {
        let base = action.instructions(kind);
        match self.def.manual.get(&action) {
            Some(extra) => format!("{}: {base}. {extra}.", self.system),
            None => format!(
                "{}: {base}; the {} connector does not do this by API.",
                self.system, self.def.name
            ),
        }
    }
}
