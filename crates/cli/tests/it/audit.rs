//! The audit trail: every change is a chained event; edits and deletions are detected.

use dsrflow_app::store::audit;
use serde_json::{Value, json};

use crate::on_both;

async fn actions(t: &crate::support::TestApp) -> Vec<(String, Value)> {
    let db = t.app.store.db();
    let events = {
        use dsrflow_app::store::entity::audit_event;
        use dsrflow_app::store::sea_orm::{EntityTrait, QueryOrder};
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
            "470",
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
        use dsrflow_app::store::entity::audit_event;
        use dsrflow_app::store::sea_orm::EntityTrait;
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
