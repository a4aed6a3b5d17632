//! `dsrflow serve --demo`: the reference user's systems end to end, run as a user would.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct Demo {
    child: tokio::process::Child,
    pub base: String,
    pub token: String,
    /// Everything the demo printed before its first request.
    pub banner: String,
    client: reqwest::Client,
}

impl Demo {
    async fn start() -> (Demo, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (Demo::start_in(dir.path()).await, dir)
    }

    /// Starts `serve --demo` in `dir` (its database `dsrflow.db` and data `dsrflow-data/`
    /// there) and waits until it has printed its address and token.
    pub async fn start_in(dir: &std::path::Path) -> Demo {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dsrflow"));
        cmd.current_dir(dir)
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
        let (mut base, mut token, mut banner) = (None, None, String::new());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
                .await
                .expect("the demo starts within a minute")
                .unwrap()
                .expect("the demo prints its address, token and what to try");
            banner.push_str(&line);
            banner.push('\n');
            if let Some(addr) = line.strip_prefix("dsrflow listening on ") {
                base = Some(addr.trim().to_owned());
            }
            if let Some(t) = line.trim_start().strip_prefix("API token:") {
                token = t.split_whitespace().next().map(str::to_owned);
            }
            // The banner's last line.
            if line.starts_with("the README's") {
                break;
            }
        }
        // Keep reading stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Demo {
            child,
            base: base.expect("the demo printed its address"),
            token: token.expect("the demo printed its token"),
            banner,
            client: reqwest::Client::new(),
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

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn alice(kind: &str) -> Value {
    json!({"kind": kind, "identity_verified": true, "subject": {"email": "alice@example.com", "name": "Alice Martin"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_erases_alice_everywhere_and_keeps_her_invoice_under_tax_retention() {
    let (d, _dir) = Demo::start().await;
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
        "grafana-logs",
        "meta-ads",
        "google-ads-tag",
        "linkedin-insight-tag",
        "reddit-pixel",
        "aws-backups",
        "cloudflare",
        "gcp-workers",
        "vultr-staging",
        "fidu",
    ] {
        assert!(systems.contains(s), "{s} not reached: {tasks:?}");
    }
    // The accounting firm, a recipient of the billing data, is told (Art. 19) once the
    // erasure it is told of is done, never with it.
    let notice = tasks
        .iter()
        .find(|t| t["system"] == "fidu" && t["action"] == "notify")
        .expect("a notice to the accounting firm");
    let erased_at = tasks
        .iter()
        .filter(|t| t["action"] == "erase")
        .map(|t| t["finished_at"].as_str().unwrap().to_owned())
        .max()
        .unwrap();
    assert!(
        notice["started_at"].as_str().unwrap() >= erased_at.as_str(),
        "the notice was planned before the work ended: {notice} vs {erased_at}"
    );
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
    // The accounting firm got its notice; Alice's answer names it by its name.
    let fidu = mail_containing(_dir.path(), "privacy@fidu.example").await;
    assert!(
        fidu.contains("RGPD, art. 19"),
        "in French, as configured: {fidu}"
    );
    let answer = mail_containing(_dir.path(), "We have also told those").await;
    assert!(answer.contains("Accounting firm Fidu & Co"), "{answer}");
    // The invoice kept: its rule and the day the newest may go (31 January 2026 + 10 years).
    assert!(
        answer.contains("invoice, for 10 years (until 31 January 2036), under a legal obligation"),
        "{answer}"
    );
    // The anti-fraud log, kept for a bounded time under legitimate interest, and said so.
    assert!(
        answer.contains("sign-up IP address, for 12 months (until "),
        "{answer}"
    );
    assert!(
        answer.contains("under our legitimate interest: fraud prevention"),
        "{answer}"
    );
    // What processors only accepted to do is not called done: Loki and Meta work within a day.
    for line in [
        "Application logs of the platform (Grafana Cloud Logs, processor): Erasure requested",
        "Facebook and Instagram ads: custom audiences (Meta, joint controller for the Pixel): Erasure requested",
    ] {
        assert!(answer.contains(line), "{line:?} in {answer}");
    }

    // What was kept is still hers: a later access request finds the invoice (Art. 15).
    let access = d
        .json(
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(alice("access")),
        )
        .await;
    let access = access["id"].as_str().unwrap().to_owned();
    d.wait_for(&access, "awaiting_review").await;
    let tasks = d
        .json(
            reqwest::Method::GET,
            &format!("/api/v1/requests/{access}/tasks"),
            None,
        )
        .await;
    let billing = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["system"] == "odoo-billing")
        .unwrap()
        .clone();
    assert_eq!(billing["status"], "succeeded", "{billing}");
    let resp = d
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/requests/{access}/package"),
            None,
        )
        .await;
    let bytes = resp.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut data = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("systems/odoo-billing.json").unwrap(),
        &mut data,
    )
    .unwrap();
    assert!(data.contains("INV/2026/00042"), "{data}");
    assert!(data.contains("Anonymised customer"), "{data}");
    assert!(!data.contains("INV/2026/00043"), "Bob's invoice leaked");
    d.stop().await;
}

/// The text of the first mail the demo wrote (as `.eml` under its data directory) that
/// contains `needle`, waiting up to 20 s for the outbox to deliver it.
async fn mail_containing(dir: &std::path::Path, needle: &str) -> String {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "eml") {
                out.push(p);
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut files = Vec::new();
        walk(dir, &mut files);
        for f in files {
            let raw = std::fs::read(&f).unwrap_or_default();
            if let Ok(msg) = dsrflow_mail::inbound::parse(&raw, None) {
                let text = format!("{}\n{}", String::from_utf8_lossy(&raw), msg.text());
                if text.contains(needle) {
                    return text;
                }
            }
        }
        assert!(Instant::now() < deadline, "no mail containing {needle:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_answers_an_access_request_with_data_from_every_system() {
    let (d, _dir) = Demo::start().await;
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
    // The summary names each processor among the recipients of its system's data (Art.
    // 15(1)(c), a processor is a recipient) and counts entries in plain words.
    let mut summary = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("summary.html").unwrap(), &mut summary)
        .unwrap();
    let stripe = &summary[summary.find("<h2>stripe</h2>").expect("a stripe section")..];
    let stripe = &stripe[..stripe[4..].find("<h2>").map_or(stripe.len(), |i| i + 4)];
    assert!(
        stripe.contains("Stripe Payments Europe, Ltd. (our processor, acting on our instructions)"),
        "{stripe}"
    );
    assert!(!stripe.contains("No one outside"), "{stripe}");
    assert!(!summary.contains("records record"), "{summary}");
    assert!(
        summary.contains(" entries") || summary.contains(" entry"),
        "{summary}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_restarts_on_its_database_with_the_same_token_and_its_requests() {
    let dir = tempfile::tempdir().unwrap();
    let first = Demo::start_in(dir.path()).await;
    assert!(first.banner.contains("(new;"), "{}", first.banner);
    let created = first
        .json(
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(alice("access")),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let first_token = first.token.clone();
    let first_banner = first.banner.clone();
    first.stop().await;

    let second = Demo::start_in(dir.path()).await;
    assert_eq!(second.token, first_token, "{}", second.banner);
    // The dashboard's demo accounts, one per role, keep their passwords across restarts.
    let accounts = |banner: &str| -> Vec<String> {
        banner
            .lines()
            .filter(|l| l.contains("   password "))
            .map(str::to_owned)
            .collect()
    };
    let listed = accounts(&first_banner);
    assert_eq!(listed.len(), 3, "{first_banner}");
    for who in [
        "admin    privacy@hostodoo.example",
        "officer  officer@hostodoo.example",
        "viewer   viewer@hostodoo.example",
    ] {
        assert!(listed.iter().any(|l| l.contains(who)), "{who}: {listed:?}");
    }
    assert_eq!(accounts(&second.banner), listed);
    assert!(
        second.banner.contains("kept from the last start"),
        "{}",
        second.banner
    );
    let again = second
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/requests/{id}"),
            None,
        )
        .await;
    assert_eq!(
        again.status(),
        200,
        "the kept token works and the request is still there"
    );
    // A token file that no longer works (edited, or its token revoked) gives a new token,
    // announced as new, and the old value stops working.
    let token_file = dir.path().join("dsrflow-data/demo/api-token");
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap().trim(),
        second.token
    );
    let second_token = second.token.clone();
    second.stop().await;
    std::fs::remove_file(&token_file).unwrap();
    let third = Demo::start_in(dir.path()).await;
    assert_ne!(third.token, second_token);
    assert!(third.banner.contains("(new;"), "{}", third.banner);
    let stale = reqwest::Client::new()
        .get(format!("{}/api/v1/requests/{id}", third.base))
        .bearer_auth(&second_token)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401, "the replaced token no longer works");
    third.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_banner_names_the_form_the_mail_folder_and_its_configuration_which_the_cli_uses() {
    let dir = tempfile::tempdir().unwrap();
    let d = Demo::start_in(dir.path()).await;
    let data = std::fs::canonicalize(dir.path().join("dsrflow-data")).unwrap();
    for expected in [
        format!("request form:      {}/request", d.base),
        format!("start page:        {}/", d.base),
        format!("{}/mail/", data.display()),
        format!("{}", data.join("demo/dsrflow.toml").display()),
    ] {
        assert!(
            d.banner.contains(&expected),
            "{expected:?} not in:\n{}",
            d.banner
        );
    }
    // The configuration it wrote names the controller, the demo's address and its systems.
    let written = std::fs::read_to_string(data.join("demo/dsrflow.toml")).unwrap();
    assert!(
        written.contains(&format!("public_url = \"{}\"", d.base)),
        "{written}"
    );
    assert!(written.contains("name = \"Hostodoo SRL\""), "{written}");
    // Beside it, the CLI uses that configuration: it lists and reaches the demo's systems.
    let cli = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dsrflow"));
        cmd.current_dir(dir.path()).args(args);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("DSRFLOW_") {
                cmd.env_remove(key);
            }
        }
        cmd.output().unwrap()
    };
    let list = cli(&["connector", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(
        text.lines().count(),
        21,
        "20 systems and a recipient: {text}"
    );
    assert!(text.contains("odoo-billing\tsql"), "{text}");
    assert!(
        text.contains("fidu\temail\trecipient: Accounting firm Fidu & Co"),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&list.stderr).contains("demo/dsrflow.toml"),
        "the CLI says which configuration it uses"
    );
    for system in ["odoo-billing", "stripe"] {
        let check = cli(&["connector", "check", system]);
        assert!(
            check.status.success(),
            "{system}: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }
    // Mail the CLI queues is signed by the demo controller and links to the demo's address.
    let created = d
        .json(
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(json!({"kind": "access", "subject": {"email": "bob@example.org"}})),
        )
        .await;
    let reference = created["reference"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let read = loop {
        let out = cli(&["mail", "read", "--reference", &reference]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains("/verify/") || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        read.contains("From:    Hostodoo SRL <privacy@hostodoo.example>"),
        "{read}"
    );
    assert!(read.contains(&format!("{}/verify/", d.base)), "{read}");
    assert!(read.contains("The privacy team of Hostodoo SRL"), "{read}");
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_about_a_hosted_customers_database_is_forwarded_in_one_action() {
    let (d, _dir) = Demo::start().await;
    let created = d
        .json(
            reqwest::Method::POST,
            "/api/v1/requests",
            Some(alice("access")),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/requests/{id}/forward");
    // An unknown customer names the declared ones; mixing both ways is refused.
    let unknown = d
        .call(
            reqwest::Method::POST,
            &path,
            Some(json!({"customer": "dupont"})),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let body: Value = unknown.json().await.unwrap();
    assert!(
        body.to_string().contains("brasserie-dupont, atelier-vos"),
        "{body}"
    );
    let mixed = d
        .call(
            reqwest::Method::POST,
            &path,
            Some(json!({"customer": "brasserie-dupont", "controller": "X", "contact_email": "x@x.example"})),
        )
        .await;
    assert_eq!(mixed.status(), 422);
    let forwarded = d
        .json(
            reqwest::Method::POST,
            &path,
            Some(json!({"customer": "brasserie-dupont"})),
        )
        .await;
    assert_eq!(forwarded["status"], "completed", "{forwarded}");
    assert_eq!(forwarded["forwarded_to"], "Brasserie Dupont SRL");
    let to_controller = mail_containing(_dir.path(), "privacy@brasserie-dupont.example").await;
    assert!(
        to_controller.contains("alice@example.com"),
        "{to_controller}"
    );
    d.stop().await;
}
