//! Intake: `POST /api/v1/requests`, reading and listing.

use serde_json::{Value, json};

use crate::on_both;

fn alice(kind: &str) -> Value {
    json!({"kind": kind, "subject": {"email": "Alice@Example.com", "name": "Alice Liddell"}})
}

on_both!(
    a_request_is_stored_with_its_legal_deadline,
    "2026-02-10T09:00:00Z",
    |t| {
        let body = json!({
            "kind": "erasure",
            "subject": {"email": "alice@example.com", "name": "Alice", "account_id": "cus_123"},
            "received_at": "2026-01-31T12:00:00+01:00",
            "channel": "post",
            "language": "fr-BE",
            "details": "Please erase my account."
        });
        let created = t.create(body).await;
        // Nobody vouched for the requester: a confirmation link is mailed first.
        assert_eq!(created["status"], "awaiting_verification");
        assert_eq!(
            created["paused"], false,
            "a routine link does not pause the clock"
        );
        assert_eq!(created["kind"], "erasure");
        assert_eq!(created["regime"], "gdpr");
        assert_eq!(created["channel"], "post");
        assert_eq!(created["language"], "fr");
        assert_eq!(created["receipt_day"], "2026-01-31");
        // 28 Feb 2026 is a Saturday: the deadline rolls to Monday 2 March.
        assert_eq!(created["deadline"], "2026-03-02");
        assert_eq!(created["due_at"], "2026-03-02T23:00:00Z");
        assert_eq!(created["extension_notice_by"], "2026-03-02");
        assert!(created["reference"].as_str().unwrap().starts_with("DSR-"));

        let id = created["id"].as_str().unwrap();
        let got: Value = t
            .get(&format!("/api/v1/requests/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["id"], created["id"]);
        assert_eq!(got["subject"]["email"], "alice@example.com");
        assert_eq!(got["subject"]["account_id"], "cus_123");
        assert_eq!(got["created_by"], "token:test-app");
    }
);

on_both!(
    a_request_without_received_at_is_received_now,
    "2026-03-09T23:30:00Z",
    |t| {
        let created = t.create(alice("access")).await;
        assert_eq!(created["received_at"], "2026-03-09T23:30:00Z");
        // Already 10 March in Brussels.
        assert_eq!(created["receipt_day"], "2026-03-10");
        assert_eq!(created["deadline"], "2026-04-10");
        assert_eq!(created["subject"]["email"], "alice@example.com");
    }
);

on_both!(
    the_regime_of_a_request_sets_its_clock,
    "2026-01-20T09:00:00Z",
    |t| {
        let mut body = alice("access");
        body["regime"] = json!("ccpa");
        body["received_at"] = json!("2026-01-09T10:00:00-08:00");
        let created = t.create(body).await;
        assert_eq!(created["regime"], "ccpa");
        assert_eq!(created["deadline"], "2026-02-23");
    }
);

on_both!(
    requests_without_a_valid_token_are_refused,
    "2026-02-10T09:00:00Z",
    |t| {
        let no_token = t
            .client
            .post(t.url("/api/v1/requests"))
            .json(&alice("access"))
            .send()
            .await
            .unwrap();
        assert_eq!(no_token.status(), 401);
        assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
        let bad_token = t
            .client
            .post(t.url("/api/v1/requests"))
            .bearer_auth("dsr_not-a-real-token")
            .json(&alice("access"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad_token.status(), 401);
        let list = t
            .client
            .get(t.url("/api/v1/requests"))
            .send()
            .await
            .unwrap();
        assert_eq!(list.status(), 401);
        assert_eq!(t.count_requests().await, 0);
    }
);

on_both!(
    every_bad_field_is_named_and_nothing_is_stored,
    "2026-02-10T09:00:00Z",
    |t| {
        let resp = t
            .post(
                "/api/v1/requests",
                &json!({
                    "kind": "delete-everything",
                    "subject": {"email": "not-an-address", "phone": "12"},
                    "regime": "eu",
                    "channel": "fax",
                    "received_at": "yesterday"
                }),
            )
            .await;
        assert_eq!(resp.status(), 422);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        let fields: Vec<&str> = body["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for f in [
            "kind",
            "subject.email",
            "subject.phone",
            "regime",
            "channel",
            "received_at",
        ] {
            assert!(fields.contains(&f), "{f} not named in {body}");
        }
        // The error body never echoes the personal data that was sent.
        assert!(!body.to_string().contains("not-an-address"));

        let missing = t.post("/api/v1/requests", &json!({})).await;
        assert_eq!(missing.status(), 422);
        let body: Value = missing.json().await.unwrap();
        let text = body.to_string();
        assert!(
            text.contains("\"kind\"") && text.contains("\"subject\""),
            "{text}"
        );

        let no_email = t
            .post(
                "/api/v1/requests",
                &json!({"kind": "access", "subject": {"name": "Bob"}}),
            )
            .await;
        assert_eq!(no_email.status(), 422);
        let body: Value = no_email.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "subject.email");

        let wrong_type = t
            .post(
                "/api/v1/requests",
                &json!({"kind": 7, "subject": {"email": "a@b.co"}}),
            )
            .await;
        assert_eq!(wrong_type.status(), 422);
        let body: Value = wrong_type.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "kind");

        // A value of the wrong shape is not echoed back: it may be personal data.
        let echoed = t
            .post(
                "/api/v1/requests",
                &json!({"kind": "access", "subject": "alice@example.com"}),
            )
            .await;
        assert_eq!(echoed.status(), 422);
        let body: Value = echoed.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "subject");
        assert!(!body.to_string().contains("alice"), "{body}");

        let unknown = t
        .post(
            "/api/v1/requests",
            &json!({"kind": "access", "subject": {"email": "a@b.co"}, "identity_verifed": true}),
        )
        .await;
        assert_eq!(unknown.status(), 422);
        assert_eq!(t.count_requests().await, 0);
    }
);

on_both!(
    a_future_or_pre_gdpr_receipt_is_refused,
    "2026-02-10T09:00:00Z",
    |t| {
        for when in ["2026-02-10T09:00:01Z", "2017-01-01T00:00:00Z"] {
            let mut body = alice("access");
            body["received_at"] = json!(when);
            let resp = t.post("/api/v1/requests", &body).await;
            assert_eq!(resp.status(), 422, "{when}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["fields"][0]["field"], "received_at");
        }
        assert_eq!(t.count_requests().await, 0);
    }
);

on_both!(
    unreadable_bodies_get_400_415_or_413,
    "2026-02-10T09:00:00Z",
    |t| {
        let malformed = t
            .client
            .post(t.url("/api/v1/requests"))
            .bearer_auth(&t.token)
            .header("content-type", "application/json")
            .body("{\"kind\": \"access\",")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 400);
        let form = t
            .client
            .post(t.url("/api/v1/requests"))
            .bearer_auth(&t.token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("kind=access")
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 415);
        let mut huge = alice("access");
        huge["details"] = json!("x".repeat(100_000));
        let too_big = t.post("/api/v1/requests", &huge).await;
        assert_eq!(too_big.status(), 413);
        let mut long = alice("access");
        long["details"] = json!("y".repeat(10_001));
        let too_long = t.post("/api/v1/requests", &long).await;
        assert_eq!(too_long.status(), 422);
        assert_eq!(t.count_requests().await, 0);
    }
);

on_both!(
    only_a_vouching_token_may_skip_verification,
    "2026-02-10T09:00:00Z",
    |t| {
        let mut body = alice("erasure");
        body["identity_verified"] = json!(true);
        let refused = t.post("/api/v1/requests", &body).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(t.count_requests().await, 0);

        let resp = t
            .client
            .post(t.url("/api/v1/requests"))
            .bearer_auth(&t.vouch_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let created: Value = resp.json().await.unwrap();
        assert_eq!(created["status"], "in_progress");
        assert_eq!(created["identity_verified"], true);
    }
);

on_both!(
    listing_filters_sorts_by_deadline_and_pages,
    "2026-06-30T09:00:00Z",
    |t| {
        for (kind, received) in [
            ("access", "2026-06-01T10:00:00+02:00"),
            ("erasure", "2026-05-04T10:00:00+02:00"),
            ("erasure", "2026-06-20T10:00:00+02:00"),
        ] {
            let mut b = alice(kind);
            b["received_at"] = json!(received);
            t.create(b).await;
        }
        let all: Value = t.get("/api/v1/requests").await.json().await.unwrap();
        assert_eq!(all["total"], 3);
        let deadlines: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["deadline"].as_str().unwrap())
            .collect();
        assert_eq!(deadlines, vec!["2026-06-04", "2026-07-01", "2026-07-20"]);

        let erasures: Value = t
            .get("/api/v1/requests?kind=erasure")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(erasures["total"], 2);
        let due: Value = t
            .get("/api/v1/requests?due_before=2026-07-02")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(due["total"], 2);
        let page2: Value = t
            .get("/api/v1/requests?per_page=2&page=2")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page2["items"].as_array().unwrap().len(), 1);
        assert_eq!(page2["items"][0]["deadline"], "2026-07-20");
        let received: Value = t
            .get("/api/v1/requests?status=awaiting_verification&open=true")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(received["total"], 3);

        let bad = t
            .get("/api/v1/requests?status=lost&due_before=soon&per_page=0")
            .await;
        assert_eq!(bad.status(), 422);
        let body: Value = bad.json().await.unwrap();
        let text = body.to_string();
        for f in ["status", "due_before", "per_page"] {
            assert!(text.contains(&format!("\"{f}\"")), "{f}: {text}");
        }
    }
);

on_both!(unknown_requests_are_404, "2026-02-10T09:00:00Z", |t| {
    let resp = t
        .get("/api/v1/requests/0190f3c2-0000-7000-8000-000000000000")
        .await;
    assert_eq!(resp.status(), 404);
    let resp = t.get("/api/v1/requests/not-a-uuid").await;
    assert_eq!(resp.status(), 404);
});

on_both!(health_and_openapi_are_served, "2026-02-10T09:00:00Z", |t| {
    let health: Value = t
        .client
        .get(t.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let doc: Value = t
        .client
        .get(t.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/api/v1/requests",
        "/api/v1/requests/{id}",
        "/api/v1/requests/{id}/extend",
        "/api/v1/requests/{id}/deny",
        "/api/v1/requests/{id}/approve",
        "/api/v1/requests/{id}/withdraw",
    ] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
});

on_both!(
    concurrent_intake_loses_nothing,
    "2026-02-10T09:00:00Z",
    |t| {
        let mut handles = Vec::new();
        for i in 0..24 {
            let client = t.client.clone();
            let url = t.url("/api/v1/requests");
            let token = t.token.clone();
            handles.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"kind": "access", "subject": {"email": format!("user{i}@example.com")}}))
                .send()
                .await
                .unwrap()
                .status()
        }));
        }
        for h in handles {
            assert_eq!(h.await.unwrap(), 201);
        }
        assert_eq!(t.count_requests().await, 24);
        let report = dsrflow_store::audit::verify(t.app.store.db())
            .await
            .unwrap();
        assert_eq!(report.first_break, None);
        // Two token creations plus 24 intakes, in one unbroken chain.
        assert_eq!(report.events, 26);
    }
);
