//! The privacy@ mailbox over IMAP: connect (implicit TLS, STARTTLS or, when asked for by name,
//! plain), select the folder, list the messages not yet processed, fetch one at a time with its
//! `INTERNALDATE` (when it reached the mailbox), and mark it once the caller has stored it.
//!
//! "Processed" is the IMAP keyword [`PROCESSED_KEYWORD`] (shown as a tag by most mail clients)
//! plus `\Seen`. The caller's own bookkeeping (the message's [`ImapInbox::source`]:
//! `imap:<folder>:<uidvalidity>:<uid>`) makes a second ingestion harmless when marking failed or
//! the server does not keep keywords. A message too large to fetch is tagged
//! [`TOO_LARGE_KEYWORD`] and left for a human.
//!
//! Errors never carry the user name or the password.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The keyword set on a message once dsrflow has stored it.
pub const PROCESSED_KEYWORD: &str = "$DsrflowProcessed";
/// The keyword set on a message larger than [`ImapSettings::max_message_bytes`].
pub const TOO_LARGE_KEYWORD: &str = "$DsrflowTooLarge";

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapSecurity {
    /// TLS from the first byte (`imaps://`, port 993).
    Tls,
    /// Plain connection upgraded with STARTTLS before logging in (`imap://`, port 143).
    StartTls,
    /// No encryption (`imap://…?tls=none`): only for a server on the same host or network.
    Plain,
}

/// Where and how to read the mailbox.
#[derive(Clone)]
pub struct ImapSettings {
    /// Server host name (also the TLS server name).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub security: ImapSecurity,
    /// Login name.
    pub user: String,
    password: String,
    /// The folder to read (default `INBOX`).
    pub folder: String,
    /// Extra trusted CA certificates (PEM), for a server with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Longest wait for any one network step.
    pub timeout: Duration,
    /// Messages larger than this are not fetched (tagged [`TOO_LARGE_KEYWORD`] instead).
    pub max_message_bytes: u32,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &"***")
            .field("password", &"***")
            .field("folder", &self.folder)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// The `[inbox]` settings are unusable; the message names the key and never repeats a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ImapConfigError {
    /// The key, e.g. `imap_url`.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

fn config_error(key: &'static str, message: impl Into<String>) -> ImapConfigError {
    ImapConfigError {
        key,
        message: message.into(),
    }
}

impl ImapSettings {
    /// Builds the settings from `imaps://host[:port]`, `imap://host[:port]` (STARTTLS) or
    /// `imap://host[:port]?tls=none` (plain). The URL carries no credentials.
    pub fn new(
        url: &str,
        user: &str,
        password: &str,
        folder: Option<&str>,
    ) -> Result<Self, ImapConfigError> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            config_error(
                "imap_url",
                "expected imaps://host[:port], imap://host[:port] (STARTTLS) or imap://host[:port]?tls=none",
            )
        })?;
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a.trim_end_matches('/'), Some(q)),
            None => (rest.trim_end_matches('/'), None),
        };
        if authority.contains('@') {
            return Err(config_error(
                "imap_url",
                "the URL must not hold credentials: give inbox.user and inbox.password (as env:VARIABLE)",
            ));
        }
        let (mut security, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "imaps" => (ImapSecurity::Tls, 993),
            "imap" => (ImapSecurity::StartTls, 143),
            other => {
                return Err(config_error(
                    "imap_url",
                    format!("unknown scheme {other:?}: use imaps or imap"),
                ));
            }
        };
        if let Some(q) = query {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                match pair {
                    "tls=none" if security == ImapSecurity::StartTls => {
                        security = ImapSecurity::Plain;
                    }
                    "tls=starttls" if security == ImapSecurity::StartTls => {}
                    other => {
                        return Err(config_error(
                            "imap_url",
                            format!(
                                "unknown option {other:?}: imap:// accepts ?tls=starttls (the default) or ?tls=none"
                            ),
                        ));
                    }
                }
            }
        }
        let (host, port_text) = match authority.strip_prefix('[') {
            // An IPv6 literal: [::1] or [::1]:1143.
            Some(v6) => match v6.split_once(']') {
                Some((h, "")) => (h, None),
                Some((h, p)) => (h, Some(p.strip_prefix(':').unwrap_or(p))),
                None => ("", None),
            },
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        let port = match port_text {
            None => default_port,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| config_error("imap_url", format!("invalid port {p:?}")))?,
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'))
        {
            return Err(config_error("imap_url", "missing or invalid host name"));
        }
        if user.trim().is_empty() {
            return Err(config_error("user", "the login name is empty"));
        }
        if password.is_empty() {
            return Err(config_error("password", "the password is empty"));
        }
        let folder = folder.unwrap_or("INBOX");
        if folder.is_empty() || folder.chars().any(|c| c.is_control() || c == '"') {
            return Err(config_error(
                "folder",
                "a folder name cannot be empty or contain quotes or control characters",
            ));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            security,
            user: user.to_owned(),
            password: password.to_owned(),
            folder: folder.to_owned(),
            ca_file: None,
            timeout: Duration::from_secs(30),
            max_message_bytes: 50 * 1024 * 1024,
        })
    }

    /// Trusts the CA certificates in this PEM file besides the public roots.
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> Result<Self, ImapConfigError> {
        let path = path.into();
        load_certs(&path).map_err(|m| config_error("ca_file", m))?;
        self.ca_file = Some(path);
        Ok(self)
    }

    fn tls_connector(&self) -> Result<tokio_rustls::TlsConnector, ImapError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &self.ca_file {
            for cert in load_certs(path).map_err(ImapError::Tls)? {
                roots
                    .add(cert)
                    .map_err(|e| ImapError::Tls(format!("CA certificate: {e}")))?;
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }
}

fn load_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{} is not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}

/// What went wrong talking to the mailbox. Every variant is worth retrying at the next poll
/// except [`ImapError::Auth`] and [`ImapError::Folder`], which need the configuration fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImapError {
    /// The server cannot be reached.
    #[error("cannot reach the IMAP server: {0}")]
    Connect(String),
    /// The TLS handshake (or STARTTLS) failed.
    #[error("IMAP TLS failed: {0}")]
    Tls(String),
    /// The server refused the login (the credentials are not repeated).
    #[error("the IMAP server refused the login for inbox.user")]
    Auth,
    /// The folder does not exist or cannot be selected.
    #[error("the IMAP folder cannot be selected: {0}")]
    Folder(String),
    /// A network step took longer than the timeout.
    #[error("the IMAP server did not answer in time")]
    Timeout,
    /// The server answered something unexpected, or the connection dropped.
    #[error("IMAP protocol error: {0}")]
    Protocol(String),
}

impl ImapError {
    /// True when the next poll may succeed without a configuration change.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Auth | Self::Folder(_))
    }
}

fn protocol(e: async_imap::error::Error) -> ImapError {
    ImapError::Protocol(e.to_string())
}

/// A plain or TLS connection, one type for the IMAP client.
#[derive(Debug)]
enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One message as fetched from the mailbox.
#[derive(Clone)]
pub struct FetchedMessage {
    /// Its UID in the folder.
    pub uid: u32,
    /// When it reached the mailbox (IMAP `INTERNALDATE`).
    pub internal_date: Option<DateTime<Utc>>,
    /// The whole RFC 822 message.
    pub raw: Vec<u8>,
}

impl fmt::Debug for FetchedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedMessage")
            .field("uid", &self.uid)
            .field("internal_date", &self.internal_date)
            .field("bytes", &self.raw.len())
            .finish()
    }
}

/// What [`ImapInbox::fetch`] found under a UID.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The message.
    Message(FetchedMessage),
    /// Larger than the limit: tagged and left in the mailbox for a human.
    TooLarge {
        /// Its size in bytes.
        size: u32,
    },
    /// Gone (expunged by someone else since the search).
    Gone,
}

/// An open, selected mailbox.
pub struct ImapInbox {
    session: async_imap::Session<Conn>,
    folder: String,
    uid_validity: u32,
    timeout: Duration,
    max_message_bytes: u32,
}

impl fmt::Debug for ImapInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapInbox")
            .field("folder", &self.folder)
            .field("uid_validity", &self.uid_validity)
            .finish()
    }
}

async fn within<T>(
    timeout: Duration,
    fut: impl Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| ImapError::Timeout)?
}

async fn greeting(client: &mut async_imap::Client<Conn>) -> Result<(), ImapError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapError::Protocol(
            "the server closed the connection before its greeting".to_owned(),
        )),
        Err(e) => Err(ImapError::Protocol(e.to_string())),
    }
}

impl ImapInbox {
    /// Connects, logs in and selects the folder.
    pub async fn open(settings: &ImapSettings) -> Result<Self, ImapError> {
        let timeout = settings.timeout;
        let tcp = within(timeout, async {
            TcpStream::connect((settings.host.as_str(), settings.port))
                .await
                .map_err(|e| ImapError::Connect(e.kind().to_string()))
        })
        .await?;
        let server_name = || {
            ServerName::try_from(settings.host.clone())
                .map_err(|e| ImapError::Tls(format!("server name: {e}")))
        };
        let client = match settings.security {
            ImapSecurity::Plain => {
                let mut c = async_imap::Client::new(Conn::Plain(tcp));
                within(timeout, greeting(&mut c)).await?;
                c
            }
            ImapSecurity::Tls => {
                let connector = settings.tls_connector()?;
                let name = server_name()?;
                let tls = within(timeout, async {
                    connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| ImapError::Tls(e.to_string()))
                })
                .await?;
                let mut c = async_imap::Client::new(Conn::Tls(Box::new(tls)));
                within(timeout, greeting(&mut c)).await?;
                c
            }
            ImapSecurity::StartTls => {
                let mut c = async_imap::Client::new(Conn::Plain(tcp));
                within(timeout, greeting(&mut c)).await?;
                within(timeout, async {
                    c.run_command_and_check_ok("STARTTLS", None)
                        .await
                        .map_err(|e| ImapError::Tls(format!("STARTTLS refused: {e}")))
                })
                .await?;
                let Conn::Plain(tcp) = c.into_inner() else {
                    return Err(ImapError::Tls("unexpected stream".to_owned()));
                };
                let connector = settings.tls_connector()?;
                let name = server_name()?;
                let tls = within(timeout, async {
                    connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| ImapError::Tls(e.to_string()))
                })
                .await?;
                // No greeting after STARTTLS (RFC 3501 §6.2.1).
                async_imap::Client::new(Conn::Tls(Box::new(tls)))
            }
        };
        let mut session = within(timeout, async {
            client
                .login(&settings.user, &settings.password)
                .await
                .map_err(|(e, _)| match e {
                    async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                        ImapError::Auth
                    }
                    other => protocol(other),
                })
        })
        .await?;
        let mailbox = within(timeout, async {
            session.select(&settings.folder).await.map_err(|e| match e {
                async_imap::error::Error::No(m) | async_imap::error::Error::Bad(m) => {
                    ImapError::Folder(m)
                }
                other => protocol(other),
            })
        })
        .await?;
        Ok(Self {
            session,
            folder: settings.folder.clone(),
            uid_validity: mailbox.uid_validity.unwrap_or(0),
            timeout,
            max_message_bytes: settings.max_message_bytes,
        })
    }

    /// The folder's UIDVALIDITY (UIDs are only meaningful together with it).
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// The stable name of a message: `imap:<folder>:<uidvalidity>:<uid>`.
    pub fn source(&self, uid: u32) -> String {
        format!("imap:{}:{}:{uid}", self.folder, self.uid_validity)
    }

    /// UIDs of the messages not yet processed (nor too large), oldest first, at most `limit`.
    pub async fn pending(&mut self, limit: usize) -> Result<Vec<u32>, ImapError> {
        let session = &mut self.session;
        let uids = within(self.timeout, async {
            session
                .uid_search(format!(
                    "UNKEYWORD {PROCESSED_KEYWORD} UNKEYWORD {TOO_LARGE_KEYWORD} UNDELETED"
                ))
                .await
                .map_err(protocol)
        })
        .await?;
        let mut uids: Vec<u32> = uids.into_iter().collect();
        uids.sort_unstable();
        uids.truncate(limit);
        Ok(uids)
    }

    /// Fetches one message without marking it read.
    pub async fn fetch(&mut self, uid: u32) -> Result<Fetched, ImapError> {
        let max = self.max_message_bytes;
        let session = &mut self.session;
        let size = within(self.timeout, async {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
                .await
                .map_err(protocol)?
                .try_collect()
                .await
                .map_err(protocol)?;
            Ok(fetches
                .iter()
                .find(|f| f.uid == Some(uid))
                .map(|f| f.size.unwrap_or(0)))
        })
        .await?;
        let Some(size) = size else {
            return Ok(Fetched::Gone);
        };
        if size > max {
            self.flag(uid, TOO_LARGE_KEYWORD).await?;
            return Ok(Fetched::TooLarge { size });
        }
        let session = &mut self.session;
        // A large message may take longer than one step: allow a second per 100 KiB on top.
        let budget = self.timeout + Duration::from_secs(u64::from(size / (100 * 1024)));
        within(budget, async {
            let fetches: Vec<_> = session
                .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[])")
                .await
                .map_err(protocol)?
                .try_collect()
                .await
                .map_err(protocol)?;
            let Some(f) = fetches.iter().find(|f| f.uid == Some(uid)) else {
                return Ok(Fetched::Gone);
            };
            Ok(Fetched::Message(FetchedMessage {
                uid,
                internal_date: f.internal_date().map(|d| d.with_timezone(&Utc)),
                raw: f.body().unwrap_or_default().to_vec(),
            }))
        })
        .await
    }

    /// Marks a stored message as processed (keyword and `\Seen`).
    pub async fn mark_processed(&mut self, uid: u32) -> Result<(), ImapError> {
        self.flag(uid, &format!("{PROCESSED_KEYWORD} \\Seen")).await
    }

    async fn flag(&mut self, uid: u32, flags: &str) -> Result<(), ImapError> {
        let session = &mut self.session;
        within(self.timeout, async {
            let _: Vec<_> = session
                .uid_store(uid.to_string(), format!("+FLAGS.SILENT ({flags})"))
                .await
                .map_err(protocol)?
                .try_collect()
                .await
                .map_err(protocol)?;
            Ok(())
        })
        .await
    }

    /// Logs out (best effort).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<ImapSettings, ImapConfigError> {
        ImapSettings::new(url, "privacy", "pw", None)
    }

    #[test]
    fn schemes_choose_the_security_and_the_default_port() {
        let s = parse("imaps://imap.example.org").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("imap.example.org", 993, ImapSecurity::Tls)
        );
        let s = parse("imap://imap.example.org/").unwrap();
        assert_eq!((s.port, s.security), (143, ImapSecurity::StartTls));
        let s = parse("imap://127.0.0.1:1143?tls=none").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("127.0.0.1", 1143, ImapSecurity::Plain)
        );
        assert_eq!(parse("imaps://[::1]").unwrap().port, 993);
        let s = parse("IMAP://[::1]:1143?tls=starttls").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("::1", 1143, ImapSecurity::StartTls)
        );
        assert_eq!(s.folder, "INBOX");
    }

    #[test]
    fn bad_urls_name_the_key_and_never_echo_credentials() {
        for (url, key) in [
            ("imap.example.org", "imap_url"),
            ("pop3://imap.example.org", "imap_url"),
            ("imaps://user:hunter2@imap.example.org", "imap_url"),
            ("imaps://imap.example.org:0", "imap_url"),
            ("imaps://imap.example.org:99999", "imap_url"),
            ("imaps://imap.example.org?tls=none", "imap_url"),
            ("imap://imap.example.org?tls=maybe", "imap_url"),
            ("imaps://", "imap_url"),
            ("imaps://bad host", "imap_url"),
            ("imaps://h:1:2", "imap_url"),
            ("imaps://[::1", "imap_url"),
        ] {
            let e = parse(url).unwrap_err();
            assert_eq!(e.key, key, "{url}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        assert_eq!(
            ImapSettings::new("imaps://h", " ", "pw", None)
                .unwrap_err()
                .key,
            "user"
        );
        assert_eq!(
            ImapSettings::new("imaps://h", "u", "", None)
                .unwrap_err()
                .key,
            "password"
        );
        assert_eq!(
            ImapSettings::new("imaps://h", "u", "pw", Some("a\"b"))
                .unwrap_err()
                .key,
            "folder"
        );
        let e = parse("imaps://h")
            .unwrap()
            .with_ca_file("/nonexistent/ca.pem")
            .unwrap_err();
        assert_eq!(e.key, "ca_file");
    }

    #[test]
    fn debug_output_hides_the_credentials() {
        let s = ImapSettings::new("imaps://h", "privacy@corp.example", "hunter2", None).unwrap();
        let d = format!("{s:?}");
        assert!(
            !d.contains("hunter2") && !d.contains("privacy@corp.example"),
            "{d}"
        );
    }
}
