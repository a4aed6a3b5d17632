//! `dsrflow serve --demo`: the reference user's systems end to end, run as a user would.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

struct Demo {
    child: tokio::process::Child,
    base: String,
    token: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Demo {
    async fn start() -> Demo {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dsrflow"));
        cmd.current_dir(dir.path())
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("DSRFLOW_") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut base, mut token) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while base.is_none() || token.is_none() {
            let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
                .await
                .expect("the demo starts within a minute")
                .unwrap()
                .expect("the demo prints its address and token");
            if let Some(addr) = line.strip_prefix("dsrflow listening on ") {
                base = Some(addr.trim().to_owned());
            }
            if let Some(t) = line.strip_prefix("demo API token (may vouch for identities): ") {
                token = Some(t.trim().to_owned());
            }
        }
        // Keep reading stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Demo {
            child,
            base: base.unwrap(),
            token: token.unwrap(),
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.call(method, path, body).await.json().await.unwrap()
    }

    /// Waits (polling, with a deadline) until the request reaches `status`.
    async fn wait_for(&self, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let r = self
                .json(
                    reqwest::Method::GET,
                    &format!("/api/v1/requests/{id}"),
                    None,
                )
                .await;
            if r["status"] == status {
                return r;
            }
            if Instant::now() > deadline {
                let tasks = self
                    .json(
                        reqwest::Method::GET,
                        &format!("/api/v1/requests/{id}/tasks"),
                        None,
                    )
                    .await;
                panic!("request stuck in {}: {tasks}", r["status"]);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn alice(kind: &str) -> Value {
    json!({"kind": kind, "identity_verified": true, "subject": {"email": "alice@example.com", "name": "Alice Martin"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_erases_alice_everywhere_and_keeps_her_invoice_under_tax_retention() {
    let d = Demo::start().await;
    let created = d
        .json(
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(alice("erasure")),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["status"], "in_progress");
    d.wait_for(&id, "awaiting_review").await;
    let tasks = d
        .json(
            reqwest::Method::GET,
            &format!("/api/v1/requests/{id}/tasks"),
            None,
        )
        .await;
    let tasks = tasks["tasks"].as_array().unwrap();
    let systems: std::collections::BTreeSet<&str> = tasks
        .iter()
        .map(|t| t["system"].as_str().unwrap())
        .collect();
    for s in [
        "odoo-billing",
        "odoo-crm",
        "stripe",
        "klaviyo",
        "crisp",
        "posthog",
        "hotjar",
        "google-analytics",
        "support-mailbox",
        "hosting-logs",
        "ovhcloud",
    ] {
        assert!(systems.contains(s), "{s} not reached: {tasks:?}");
    }
    assert!(
        tasks.iter().all(
            |t| ["succeeded", "retained", "not_found"].contains(&t["status"].as_str().unwrap())
        ),
        "{tasks:?}"
    );
    let billing = tasks
        .iter()
        .find(|t| t["system"] == "odoo-billing")
        .unwrap();
    let invoice = billing["outcome"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["target"] == "account_move")
        .unwrap();
    assert_eq!(invoice["effect"], "retained");
    assert_eq!(invoice["count"], 1);
    assert!(
        invoice["rule"]
            .as_str()
            .unwrap()
            .contains("Belgian VAT Code")
    );
    let approved = d
        .json(
            reqwest::Method::POST,
            &format!("/api/v1/requests/{id}/approve"),
            None,
        )
        .await;
    assert_eq!(approved["status"], "completed", "{approved}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_answers_an_access_request_with_data_from_every_system() {
    let d = Demo::start().await;
    let created = d
        .json(
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(alice("access")),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    d.wait_for(&id, "awaiting_review").await;
    let resp = d
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/requests/{id}/package"),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    for system in [
        "odoo-billing",
        "odoo-crm",
        "stripe",
        "klaviyo",
        "crisp",
        "posthog",
        "hosting-logs",
    ] {
        assert!(
            names.contains(&format!("systems/{system}.json")),
            "no data from {system}: {names:?}"
        );
    }
    assert!(names.contains(&"summary.html".to_owned()));
    let mut billing = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("systems/odoo-billing.json").unwrap(),
        &mut billing,
    )
    .unwrap();
    assert!(billing.contains("INV/2026/00042"));
    assert!(!billing.contains("INV/2026/00043"), "Bob's invoice leaked");
    d.stop().await;
}
