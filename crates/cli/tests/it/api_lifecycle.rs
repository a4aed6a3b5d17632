//! Lifecycle actions through the API: extend, deny, withdraw, approve.

use serde_json::{Value, json};

use crate::on_both;
use crate::support::t as at;

async fn new_request(t: &crate::support::TestApp, received: &str) -> String {
    let created = t
        .create(json!({
            "kind": "access",
            "subject": {"email": "bob@example.org"},
            "received_at": received
        }))
        .await;
    created["id"].as_str().unwrap().to_owned()
}

on_both!(
    an_extension_needs_reasons_and_adds_two_months_once,
    "2026-02-20T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-01-31T12:00:00+01:00").await;
        let path = format!("/api/v1/requests/{id}/extend");

        let no_reason = t.post(&path, &json!({})).await;
        assert_eq!(no_reason.status(), 422);
        let body: Value = no_reason.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "reason");
        let empty_body = t
            .client
            .post(t.url(&path))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap();
        assert_eq!(empty_body.status(), 422);

        let ok = t
            .post(&path, &json!({"reason": "Data spread over twelve systems"}))
            .await;
        assert_eq!(ok.status(), 200);
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["extended"], true);
        assert_eq!(body["deadline"], "2026-04-30");
        assert_eq!(body["due_at"], "2026-04-30T22:00:00Z");
        assert_eq!(body["extension_reason"], "Data spread over twelve systems");
        assert_eq!(body["status"], "awaiting_verification");

        let again = t.post(&path, &json!({"reason": "Still complex"})).await;
        assert_eq!(again.status(), 409);
        let body: Value = again.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("already extended"),
            "{body}"
        );
    }
);

on_both!(
    an_extension_after_the_first_month_is_refused_with_the_date,
    "2026-03-03T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-01-31T12:00:00+01:00").await;
        // The notice was due on or before Monday 2 March 2026 (end of day, Brussels).
        let late = t
            .post(
                &format!("/api/v1/requests/{id}/extend"),
                &json!({"reason": "Too many requests this month"}),
            )
            .await;
        assert_eq!(late.status(), 409);
        let body: Value = late.json().await.unwrap();
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains("2026-03-02"), "{msg}");
        let got: Value = t
            .get(&format!("/api/v1/requests/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["extended"], false);
        assert_eq!(got["deadline"], "2026-03-02");
    }
);

on_both!(
    an_extension_on_the_last_day_is_still_in_time,
    "2026-03-02T22:59:59Z",
    |t| {
        let id = new_request(t, "2026-01-31T12:00:00+01:00").await;
        let ok = t
            .post(
                &format!("/api/v1/requests/{id}/extend"),
                &json!({"reason": "Complex request"}),
            )
            .await;
        assert_eq!(ok.status(), 200);
    }
);

on_both!(
    a_regime_without_extension_refuses_one,
    "2026-02-02T09:00:00Z",
    |t| {
        let created = t
            .create(
                json!({"kind": "access", "regime": "lgpd", "subject": {"email": "c@example.br"}}),
            )
            .await;
        let id = created["id"].as_str().unwrap();
        let resp = t
            .post(
                &format!("/api/v1/requests/{id}/extend"),
                &json!({"reason": "Complex request"}),
            )
            .await;
        assert_eq!(resp.status(), 409);
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("lgpd"));
    }
);

on_both!(
    a_refusal_needs_reasons_and_closes_the_request,
    "2026-02-10T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
        let deny = format!("/api/v1/requests/{id}/deny");
        let no_reason = t.post(&deny, &json!({"reason": " "})).await;
        assert_eq!(no_reason.status(), 422);

        let ok = t
            .post(
                &deny,
                &json!({"reason": "Manifestly excessive: fifth identical request this month"}),
            )
            .await;
        assert_eq!(ok.status(), 200);
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["status"], "denied");
        assert_eq!(body["closed_at"], "2026-02-10T09:00:00Z");

        let withdraw = t
            .post(&format!("/api/v1/requests/{id}/withdraw"), &json!({}))
            .await;
        assert_eq!(withdraw.status(), 409);
        let body: Value = withdraw.json().await.unwrap();
        assert_eq!(
            body["error"]["message"],
            "cannot withdraw the request: it is denied"
        );
    }
);

on_both!(a_withdrawal_needs_no_body, "2026-02-10T09:00:00Z", |t| {
    let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
    let resp = t
        .client
        .post(t.url(&format!("/api/v1/requests/{id}/withdraw")))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "withdrawn");
});

on_both!(
    an_action_with_a_json_content_type_and_no_body_is_taken_as_an_empty_object,
    "2026-02-10T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
        let resp = t
            .client
            .post(t.url(&format!("/api/v1/requests/{id}/withdraw")))
            .bearer_auth(&t.token)
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "withdrawn");
    }
);

on_both!(
    a_body_that_is_not_a_json_object_is_refused_saying_so_and_changes_nothing,
    "2026-02-10T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
        for body in [json!([{"reason": "x"}]), json!("deny"), json!(7)] {
            let resp = t.post(&format!("/api/v1/requests/{id}/deny"), &body).await;
            assert_eq!(resp.status(), 422, "{body}");
            let out: Value = resp.json().await.unwrap();
            assert_eq!(
                out["error"]["fields"][0]["message"], "the body must be a JSON object",
                "{out}"
            );
        }
        let resp = t.post("/api/v1/requests", &json!([])).await;
        assert_eq!(resp.status(), 422);
        let current: Value = t
            .client
            .get(t.url(&format!("/api/v1/requests/{id}")))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(current["status"], "awaiting_verification");
    }
);

on_both!(
    confirming_the_identity_of_a_denied_request_says_so_in_words,
    "2026-02-10T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
        let denied = t
            .post(
                &format!("/api/v1/requests/{id}/deny"),
                &json!({"reason": "Manifestly unfounded"}),
            )
            .await;
        assert_eq!(denied.status(), 200);
        let resp = t
            .client
            .post(t.url(&format!("/api/v1/requests/{id}/verify")))
            .bearer_auth(&t.vouch_token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 409);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["error"]["message"],
            "cannot confirm the identity behind the request: it is denied"
        );
    }
);

on_both!(
    approval_is_only_possible_in_review,
    "2026-02-10T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
        let resp = t
            .post(&format!("/api/v1/requests/{id}/approve"), &json!({}))
            .await;
        assert_eq!(resp.status(), 409);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["error"]["message"],
            "cannot approve the request: it is awaiting the requester's confirmation"
        );
    }
);

on_both!(
    actions_on_unknown_requests_are_404,
    "2026-02-10T09:00:00Z",
    |t| {
        let resp = t
            .post(
                "/api/v1/requests/0190f3c2-0000-7000-8000-000000000000/deny",
                &json!({"reason": "No such request"}),
            )
            .await;
        assert_eq!(resp.status(), 404);
    }
);

on_both!(actions_need_a_token, "2026-02-10T09:00:00Z", |t| {
    let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
    let resp = t
        .client
        .post(t.url(&format!("/api/v1/requests/{id}/deny")))
        .json(&json!({"reason": "Not allowed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let got: Value = t
        .get(&format!("/api/v1/requests/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["status"], "awaiting_verification");
});

on_both!(
    the_clock_moves_with_the_fixed_test_clock,
    "2026-02-10T09:00:00Z",
    |t| {
        // Guard for the harness itself: requests are stamped with the injected clock.
        t.clock.set(at("2026-02-11T08:00:00Z"));
        let created = t
            .create(json!({"kind": "objection", "subject": {"email": "d@example.com"}}))
            .await;
        assert_eq!(created["received_at"], "2026-02-11T08:00:00Z");
        assert_eq!(created["deadline"], "2026-03-11");
    }
);

on_both!(
    a_request_about_a_hosted_customers_data_is_forwarded_and_closed,
    "2026-02-10T09:00:00Z",
    |t| {
        let id = new_request(t, "2026-02-01T12:00:00+01:00").await;
        let status = t.request(&id).await["status"].clone();
        let path = format!("/api/v1/requests/{id}/forward");
        let missing = t.post(&path, &json!({})).await;
        assert_eq!(missing.status(), 422);
        // A name alone is not enough: the request is sent to the controller.
        let no_address = t
            .post(&path, &json!({"controller": "Brasserie Dupont SA"}))
            .await;
        assert_eq!(no_address.status(), 422);
        let body: Value = no_address.json().await.unwrap();
        assert!(body.to_string().contains("contact_email"), "{body}");
        assert_eq!(t.request(&id).await["status"], status, "nothing changed");
        let ok = t
            .post(
                &path,
                &json!({"controller": "Brasserie Dupont SA", "contact_email": "privacy@dupont.example"}),
            )
            .await;
        assert_eq!(ok.status(), 200);
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["status"], "completed");
        assert_eq!(body["forwarded_to"], "Brasserie Dupont SA");
        let again = t
            .post(
                &path,
                &json!({"controller": "Someone else", "contact_email": "x@else.example"}),
            )
            .await;
        assert_eq!(again.status(), 409);
        // The controller got the request, with how the person identified themselves; the
        // person was told where it went.
        t.drain().await;
        let sent: Vec<_> = t.mail.sent().into_iter().map(|s| s.outgoing).collect();
        let to_controller = sent
            .iter()
            .find(|m| m.to == "privacy@dupont.example")
            .expect("the request forwarded to the controller");
        assert!(
            to_controller.subject.contains("for you as controller"),
            "{}",
            to_controller.subject
        );
        assert!(
            to_controller.text.contains("Dear Brasserie Dupont SA team"),
            "{}",
            to_controller.text
        );
        assert!(
            to_controller.text.contains("bob@example.org"),
            "{}",
            to_controller.text
        );
        assert!(
            to_controller
                .text
                .contains("GDPR Art. 12 and Art. 28(3)(e)"),
            "{}",
            to_controller.text
        );
        let to_subject = sent.iter().rfind(|m| m.to == "bob@example.org").unwrap();
        assert!(
            to_subject
                .text
                .contains("We forwarded your request to Brasserie Dupont SA"),
            "{}",
            to_subject.text
        );
        assert!(
            to_subject.text.contains("privacy@dupont.example"),
            "{}",
            to_subject.text
        );
    }
);
