//! The audit trail: every change is a chained event; edits and deletions are detected.

use dsrflow_store::audit;
use serde_json::{Value, json};

use crate::on_both;

async fn actions(t: &crate::support::TestApp) -> Vec<(String, Value)> {
    let db = t.app.store.db();
    let events = {
        use dsrflow_store::entity::audit_event;
        use dsrflow_store::sea_orm::{EntityTrait, QueryOrder};
        audit_event::Entity::find()
            .order_by_asc(audit_event::Column::Seq)
            .all(db)
            .await
            .unwrap()
    };
    events
        .into_iter()
        .map(|e| (e.action, serde_json::from_str(&e.data).unwrap()))
        .collect()
}

on_both!(
    every_change_is_audited_without_personal_data,
    "2026-02-10T09:00:00Z",
    |t| {
        let created = t
        .create(json!({
            "kind": "erasure",
            "subject": {"email": "alice@example.com", "name": "Alice Liddell", "phone": "+32 470 12 34 56"},
            "details": "My address is 1 Rabbit Hole"
        }))
        .await;
        let id = created["id"].as_str().unwrap();
        t.post(
            &format!("/api/v1/requests/{id}/extend"),
            &json!({"reason": "Eleven systems to search"}),
        )
        .await;
        t.post(
            &format!("/api/v1/requests/{id}/deny"),
            &json!({"reason": "Identity could not be established"}),
        )
        .await;

        let events = actions(t).await;
        let names: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "token.created",
                "token.created",
                "request.created",
                "request.extended",
                "request.denied"
            ]
        );
        assert_eq!(events[3].1["deadline"], "2026-05-11");
        assert_eq!(events[4].1["to"], "denied");
        let all = serde_json::to_string(&events).unwrap();
        for pii in [
            "alice",
            "Alice",
            "Liddell",
            // The phone number, as given and as normalised (not "470" alone: a random id
            // in the data may hold those three hex digits).
            "470 12 34 56",
            "470123456",
            "Rabbit",
            "Eleven systems",
            "Identity could",
        ] {
            assert!(!all.contains(pii), "audit data contains {pii:?}: {all}");
        }
        let report = audit::verify(t.app.store.db()).await.unwrap();
        assert_eq!(report.first_break, None);
        assert_eq!(report.events, 5);
    }
);

on_both!(
    editing_an_event_is_detected_and_named,
    "2026-02-10T09:00:00Z",
    |t| {
        t.create(json!({"kind": "access", "subject": {"email": "a@example.com"}}))
            .await;
        t.create(json!({"kind": "access", "subject": {"email": "b@example.com"}}))
            .await;
        t.sql("UPDATE audit_event SET data = '{\"kind\":\"erasure\"}' WHERE seq = 3")
            .await;
        let report = audit::verify(t.app.store.db()).await.unwrap();
        let b = report.first_break.expect("the edit is detected");
        assert_eq!(b.seq, 3);
        assert!(b.problem.contains("edited"), "{}", b.problem);
        assert_eq!(report.events, 2);
    }
);

on_both!(deleting_an_event_is_detected, "2026-02-10T09:00:00Z", |t| {
    for e in ["a@example.com", "b@example.com", "c@example.com"] {
        t.create(json!({"kind": "access", "subject": {"email": e}}))
            .await;
    }
    t.sql("DELETE FROM audit_event WHERE seq = 4").await;
    let report = audit::verify(t.app.store.db()).await.unwrap();
    let b = report.first_break.expect("the deletion is detected");
    assert_eq!(b.seq, 4);
    assert!(b.problem.contains("missing"), "{}", b.problem);
});

on_both!(
    deleting_the_newest_event_is_detected,
    "2026-02-10T09:00:00Z",
    |t| {
        t.create(json!({"kind": "access", "subject": {"email": "a@example.com"}}))
            .await;
        t.sql("DELETE FROM audit_event WHERE seq = 3").await;
        let report = audit::verify(t.app.store.db()).await.unwrap();
        let b = report.first_break.expect("the deletion is detected");
        assert_eq!(b.seq, 3);
    }
);

on_both!(
    rewriting_an_event_and_its_hash_breaks_the_next_link,
    "2026-02-10T09:00:00Z",
    |t| {
        t.create(json!({"kind": "access", "subject": {"email": "a@example.com"}}))
            .await;
        // A forger edits event 1 and recomputes its hash: event 1 is self-consistent again, but
        // event 2 still links to the old hash.
        use dsrflow_store::entity::audit_event;
        use dsrflow_store::sea_orm::EntityTrait;
        let first = audit_event::Entity::find_by_id(1_i64)
            .one(t.app.store.db())
            .await
            .unwrap()
            .unwrap();
        let forged = audit::event_hash(
            first.seq,
            first.occurred_at,
            first.request_id,
            "cli-forged",
            &first.action,
            &first.data,
            &first.prev_hash,
        );
        t.sql(&format!(
            "UPDATE audit_event SET actor = 'cli-forged', hash = '{forged}' WHERE seq = 1"
        ))
        .await;
        let report = audit::verify(t.app.store.db()).await.unwrap();
        let b = report.first_break.expect("detected");
        assert_eq!(b.seq, 2);
        assert!(b.problem.contains("does not link"), "{}", b.problem);
    }
);

/// On SQLite an append inserts after the head this process wrote last, checked in the same
/// statement. The guess goes stale when another database, a rolled-back transaction or another
/// process wrote last; the chain must stay linear in every case.
#[tokio::test]
async fn sqlite_appends_stay_linear_when_the_remembered_head_is_stale() {
    use dsrflow_app::Store;
    use dsrflow_domain::Actor;
    use dsrflow_store::audit::NewEvent;
    use dsrflow_store::sea_orm::{ConnectionTrait, Statement};

    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let a = Store::connect(&open("a.db")).await.unwrap();
    let b = Store::connect(&open("b.db")).await.unwrap();
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
    let at = crate::support::t("2026-02-10T09:00:00Z");
    let event = |n: u32| NewEvent {
        request_id: None,
        actor: Actor::Cli,
        action: dsrflow_domain::AuditAction::RequestCreated,
        data: json!({ "n": n }),
        at,
    };
    let append = |store: Store, n: u32| async move {
        let tx = store.write().await.unwrap();
        let seq = audit::append(&*tx, event(n)).await.unwrap();
        tx.commit().await.unwrap();
        seq
    };
    // Two databases in turn: each append follows the other database's head.
    assert_eq!(append(a.clone(), 1).await, 1);
    assert_eq!(append(b.clone(), 2).await, 1);
    assert_eq!(append(a.clone(), 3).await, 2);
    assert_eq!(append(a.clone(), 4).await, 3);
    assert_eq!(append(b.clone(), 5).await, 2);
    // A rolled-back append: the remembered head is one ahead of the stored one.
    {
        let tx = a.write().await.unwrap();
        assert_eq!(audit::append(&*tx, event(6)).await.unwrap(), 4);
    }
    assert_eq!(append(a.clone(), 7).await, 4);
    // Another process appends (written here by hand, as it would): the head moves under us.
    let head = |store: Store| async move {
        let row = store
            .db()
            .query_one_raw(Statement::from_string(
                store.backend(),
                "SELECT seq, hash FROM audit_head WHERE id = 1",
            ))
            .await
            .unwrap()
            .unwrap();
        (
            row.try_get::<i64>("", "seq").unwrap(),
            row.try_get::<String>("", "hash").unwrap(),
        )
    };
    let (seq, prev) = head(a.clone()).await;
    let hash = audit::event_hash(seq + 1, at, None, "cli", "other.process", "{}", &prev);
    a.db()
        .execute_raw(Statement::from_sql_and_values(
            a.backend(),
            "INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
             VALUES (?, ?, NULL, 'cli', 'other.process', '{}', ?, ?)",
            vec![(seq + 1).into(), at.into(), prev.into(), hash.clone().into()],
        ))
        .await
        .unwrap();
    // The trigger moved the head to the hand-written event.
    assert_eq!(head(a.clone()).await, (seq + 1, hash));
    // A change and its event in one round trip: the remembered head is stale now, so the change
    // is made and the event appended after reading the head.
    let change = |sql: &str| Statement::from_string(a.backend(), sql.to_owned());
    let tx = a.write().await.unwrap();
    let seq2 = audit::append_after(
        &*tx,
        change("UPDATE audit_head SET seq = seq WHERE id = 1"),
        event(8),
    )
    .await
    .unwrap();
    assert_eq!(seq2, seq + 2);
    // And with the head remembered: both in one statement.
    let seq3 = audit::append_after(
        &*tx,
        change("UPDATE audit_head SET seq = seq WHERE id = 1"),
        event(9),
    )
    .await
    .unwrap();
    assert_eq!(seq3, seq + 3);
    // A change that finds no row (a failed version check) appends nothing.
    let missed = audit::append_after(
        &*tx,
        change("UPDATE audit_head SET seq = seq WHERE id = 2"),
        event(10),
    )
    .await;
    assert!(
        matches!(missed, Err(dsrflow_store::StoreError::Concurrent)),
        "{missed:?}"
    );
    tx.commit().await.unwrap();
    assert_eq!(head(a.clone()).await.0, seq + 3);
    assert_eq!(append(a.clone(), 11).await, seq + 4);
    for store in [a, b] {
        let report = audit::verify(store.db()).await.unwrap();
        assert_eq!(report.first_break, None);
    }
}

on_both!(
    audited_changes_made_together_are_chained_in_order_and_a_stale_one_changes_nothing,
    "2026-02-10T09:00:00Z",
    |t| {
        use dsrflow_domain::Actor;
        use dsrflow_domain::{TaskAction, TaskStatus};
        use dsrflow_store::audit::NewEvent;
        use dsrflow_store::entity::task;
        use dsrflow_store::tasks as tq;

        let created = t
            .create(json!({"kind": "erasure", "subject": {"email": "alice@example.com"}}))
            .await;
        let request_id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let at = crate::support::t("2026-02-10T09:00:00Z");
        let tasks: Vec<task::Model> = (0..12)
            .map(|i| task::Model {
                id: uuid::Uuid::now_v7(),
                request_id,
                system: format!("sys{i}"),
                action: TaskAction::Erase,
                status: TaskStatus::Running,
                attempts: 1,
                last_error: None,
                outcome: None,
                external_ref: None,
                instructions: None,
                next_attempt_at: None,
                lease_until: None,
                started_at: Some(at),
                finished_at: None,
                completed_by: None,
                note: None,
                created_at: at,
                updated_at: at,
                version: 0,
            })
            .collect();
        tq::insert_many(t.app.store.db(), tasks.clone())
            .await
            .unwrap();
        let before = audit::verify(t.app.store.db()).await.unwrap().events;

        // Twelve workers record their outcomes at once (on PostgreSQL they share statements);
        // one of them has lost the task meanwhile (its version is stale).
        let mut handles = Vec::new();
        for (i, mut next) in tasks.into_iter().enumerate() {
            let store = t.app.store.clone();
            handles.push(tokio::spawn(async move {
                if i == 4 {
                    next.version = 3;
                }
                next.status = TaskStatus::Succeeded;
                next.finished_at = Some(at);
                dsrflow_store::work::record(
                    &store,
                    dsrflow_store::work::Outcome {
                        task: next,
                        event: Some(NewEvent {
                            request_id: Some(request_id),
                            actor: Actor::System,
                            action: dsrflow_domain::AuditAction::TaskFinished,
                            data: json!({ "i": i }),
                            at,
                        }),
                        result: None,
                        mail: Vec::new(),
                    },
                )
                .await
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            let out = h.await.unwrap();
            if i == 4 {
                assert!(matches!(out, Ok(None)), "{out:?}");
            } else {
                assert_eq!(out.unwrap().unwrap().version, 1, "task {i}");
            }
        }

        let stored = tq::for_request(t.app.store.db(), request_id).await.unwrap();
        let succeeded: Vec<&str> = stored
            .iter()
            .filter(|s| s.status == TaskStatus::Succeeded)
            .map(|s| s.system.as_str())
            .collect();
        assert_eq!(succeeded.len(), 11);
        assert!(
            !succeeded.contains(&"sys4"),
            "the stale change changed nothing"
        );
        let finished: Vec<u64> = actions(t)
            .await
            .into_iter()
            .filter(|(a, _)| a == "task.finished")
            .map(|(_, d)| d["i"].as_u64().unwrap())
            .collect();
        assert_eq!(finished.len(), 11, "{finished:?}");
        assert!(
            !finished.contains(&4),
            "no event for the change that did not happen"
        );
        let report = audit::verify(t.app.store.db()).await.unwrap();
        assert_eq!(report.first_break, None);
        assert_eq!(report.events, before + 11);
    }
);

/// On SQLite an intake writes its event and rows in two round trips, its event chained to the
/// head this process wrote last. When another process moved the head meanwhile, the event
/// inserts nothing and the intake writes its rows one by one instead; the chain stays linear.
#[tokio::test]
async fn sqlite_intakes_stay_linear_when_another_process_moved_the_head() {
    use dsrflow_app::requests::{Caller, NewRequest};
    use dsrflow_app::{App, FixedClock, Settings, Store};
    use dsrflow_domain::Actor;
    use dsrflow_store::sea_orm::{ConnectionTrait, Statement};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("i.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let at = crate::support::t("2026-02-10T09:00:00Z");
    let app = App::new(
        store.clone(),
        std::sync::Arc::new(FixedClock::new(at)),
        Settings::default(),
    );
    let caller = Caller {
        actor: Actor::Cli,
        can_vouch: false,
    };
    let create = |n: u32| {
        let app = app.clone();
        let caller = caller.clone();
        async move {
            dsrflow_app::requests::create(
                &app,
                &caller,
                NewRequest {
                    kind: dsrflow_domain::RequestKind::Access,
                    email: dsrflow_domain::SubjectEmail::parse(&format!("s{n}@example.com"))
                        .unwrap(),
                    name: None,
                    account_id: None,
                    phone: None,
                    regime: None,
                    received_at: None,
                    channel: dsrflow_domain::channel::Channel::Api,
                    language: Default::default(),
                    details: None,
                    corrections: Vec::new(),
                    identity_verified: false,
                },
            )
            .await
            .unwrap()
        }
    };
    create(1).await;
    create(2).await;
    // Another process appends (by hand here, as it would): the head moves under this one.
    let row = store
        .db()
        .query_one_raw(Statement::from_string(
            store.backend(),
            "SELECT seq, hash FROM audit_head WHERE id = 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let (seq, prev): (i64, String) = (
        row.try_get("", "seq").unwrap(),
        row.try_get("", "hash").unwrap(),
    );
    let hash = audit::event_hash(seq + 1, at, None, "cli", "other.process", "{}", &prev);
    store
        .db()
        .execute_raw(Statement::from_sql_and_values(
            store.backend(),
            "INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
             VALUES (?, ?, NULL, 'cli', 'other.process', '{}', ?, ?)",
            vec![(seq + 1).into(), at.into(), prev.into(), hash.into()],
        ))
        .await
        .unwrap();
    let third = create(3).await;
    create(4).await;

    let report = audit::verify(store.db()).await.unwrap();
    assert_eq!(report.first_break, None);
    assert_eq!(
        report.events, 5,
        "four requests and the other process's event"
    );
    // Every request was stored with its subject, its acknowledgement and its identity link.
    let (_, total) = dsrflow_store::requests::list(
        store.db(),
        &dsrflow_store::requests::ListFilter {
            page: 1,
            per_page: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(total, 4);
    let stored = dsrflow_store::requests::find(store.db(), third.record.request.id)
        .await
        .unwrap()
        .expect("the request written after the head moved");
    assert_eq!(stored.subject.email.as_str(), "s3@example.com");
    let mail: i64 = store
        .db()
        .query_one_raw(Statement::from_string(
            store.backend(),
            "SELECT count(*) AS n FROM outbox",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(
        mail, 8,
        "an acknowledgement and an identity link per request"
    );
}
