//! Text messages for sign-in codes and phone validation. A paid SMS provider is the one boundary
//! tests cannot reach, so it sits behind `SmsGateway`: `HttpSms` posts to any provider's HTTP API
//! (URL, credentials and body template from configuration), `OutboxSms` writes each message to
//! the data folder for development, as the mail outbox does.
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("SMS_URL is not an http:// or https:// URL")]
    BadUrl,
    #[error("the SMS gateway could not be reached: {0}")]
    Transport(String),
    #[error("the SMS gateway answered {0}")]
    Refused(u16),
    #[error("writing to the SMS outbox failed: {0}")]
    Outbox(#[from] std::io::Error),
}

pub type SmsFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

pub trait SmsGateway: Send + Sync {
    /// `to` is an E.164 number (`+393471234567`).
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> SmsFuture<'a>;
    /// Where messages go, for the start-up log (no credentials).
    fn describe(&self) -> String;
}

/// The process-wide gateway. Cheap to clone.
pub type Sms = Arc<dyn SmsGateway>;

#[derive(Clone, Debug, Default)]
pub struct HttpSmsConfig {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Sent as `Authorization: Bearer …` when set (instead of basic credentials).
    pub token: Option<String>,
    /// The request body with `{to}` and `{text}` placeholders, e.g.
    /// `{"to":"{to}","text":"{text}"}` (JSON-escaped) or `To={to}&Body={text}` (form-encoded).
    pub body_template: String,
    pub content_type: String,
}

pub struct HttpSms {
    cfg: HttpSmsConfig,
    client: reqwest::Client,
}

impl HttpSms {
    pub fn new(cfg: HttpSmsConfig) -> Result<HttpSms, SmsError> {
        if !(cfg.url.starts_with("http://") || cfg.url.starts_with("https://")) {
            return Err(SmsError::BadUrl);
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| SmsError::Transport(e.to_string()))?;
        Ok(HttpSms { cfg, client })
    }

    /// Fills the template, escaping values for the body's content type.
    pub fn body(&self, to: &str, text: &str) -> String {
        let escape = |v: &str| {
            if self.cfg.content_type.contains("json") {
                serde_json::to_string(v).map(|s| s[1..s.len() - 1].to_string()).unwrap_or_default()
            } else {
                crate::routes::encode_query_value(v)
            }
        };
        self.cfg.body_template.replace("{to}", &escape(to)).replace("{text}", &escape(text))
    }
}

impl SmsGateway for HttpSms {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> SmsFuture<'a> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(&self.cfg.url)
                .header(reqwest::header::CONTENT_TYPE, self.cfg.content_type.clone())
                .body(self.body(to, text));
            if let Some(token) = &self.cfg.token {
                req = req.bearer_auth(token);
            } else if let Some(user) = &self.cfg.username {
                req = req.basic_auth(user, self.cfg.password.as_deref());
            }
            let res = req.send().await.map_err(|e| SmsError::Transport(e.without_url().to_string()))?;
            if !res.status().is_success() {
                return Err(SmsError::Refused(res.status().as_u16()));
            }
            tracing::info!("SMS handed to the gateway");
            Ok(())
        })
    }

    fn describe(&self) -> String {
        format!("the HTTP gateway at {}", crate::db::redact(&self.cfg.url))
    }
}

pub struct OutboxSms {
    dir: PathBuf,
}

impl OutboxSms {
    pub fn new(dir: PathBuf) -> OutboxSms {
        OutboxSms { dir }
    }
}

impl SmsGateway for OutboxSms {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> SmsFuture<'a> {
        Box::pin(async move {
            tokio::fs::create_dir_all(&self.dir).await?;
            let millis =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
            let who: String = to.chars().filter(|c| c.is_ascii_digit()).collect();
            let path = self.dir.join(format!("{millis}-{}-sms-{who}.txt", crate::util::short_id()));
            tokio::fs::write(&path, format!("To: {to}\n\n{text}\n")).await?;
            tracing::info!(file = %path.display(), "SMS written to the development outbox");
            Ok(())
        })
    }

    fn describe(&self) -> String {
        format!("the development outbox {}", self.dir.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-request HTTP server that hands back the raw request it received.
    async fn http_sink(status: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/send", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let mut got = Vec::new();
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            socket.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").as_bytes()).await.unwrap();
            String::from_utf8_lossy(&got).to_string()
        });
        (url, task)
    }

    fn config(url: String) -> HttpSmsConfig {
        HttpSmsConfig {
            url,
            username: Some("acct".into()),
            password: Some("s3cret".into()),
            token: None,
            body_template: r#"{"to":"{to}","text":"{text}"}"#.into(),
            content_type: "application/json".into(),
        }
    }

    #[tokio::test]
    async fn http_gateway_posts_the_filled_template_with_credentials() {
        let (url, sink) = http_sink("200 OK").await;
        let sms = HttpSms::new(config(url)).unwrap();
        sms.send("+393471234567", "Your code is \"123456\"").await.unwrap();
        let req = sink.await.unwrap();
        assert!(req.starts_with("POST /send "), "{req}");
        assert!(req.to_ascii_lowercase().contains("authorization: basic "), "{req}");
        assert!(req.contains(r#"{"to":"+393471234567","text":"Your code is \"123456\""}"#), "{req}");
    }

    #[tokio::test]
    async fn http_gateway_reports_a_refusal() {
        let (url, sink) = http_sink("503 Service Unavailable").await;
        let sms = HttpSms::new(config(url)).unwrap();
        let err = sms.send("+393471234567", "x").await.unwrap_err();
        assert!(matches!(err, SmsError::Refused(503)), "{err}");
        sink.await.unwrap();
    }

    #[test]
    fn form_templates_are_percent_encoded() {
        let mut cfg = config("http://x".into());
        cfg.body_template = "To={to}&Body={text}".into();
        cfg.content_type = "application/x-www-form-urlencoded".into();
        let sms = HttpSms::new(cfg).unwrap();
        assert_eq!(sms.body("+3934", "a b&c"), "To=%2B3934&Body=a%20b%26c");
        assert!(HttpSms::new(HttpSmsConfig { url: "ftp://x".into(), ..Default::default() }).is_err());
    }

    #[tokio::test]
    async fn outbox_writes_one_file_per_message() {
        let dir = std::env::temp_dir().join(format!("portal-sms-{}", crate::util::short_id()));
        OutboxSms::new(dir.clone()).send("+393471234567", "code 123456").await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
