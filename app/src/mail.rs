//! Outgoing mail: real SMTP when `SMTP_URL` is set (`smtp://`, `smtps://`, or
//! `smtp://…?tls=required` for STARTTLS), otherwise a development outbox of `.eml` files under
//! the data folder, so a new user can read sign-in codes without a mail server.
use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP_URL is not a usable smtp:// or smtps:// URL: {0}")]
    BadUrl(String),
    #[error("MAIL_FROM is not a valid address: {0}")]
    BadFrom(String),
    #[error("the recipient is not a valid address")]
    BadTo,
    #[error("building the message failed: {0}")]
    Build(String),
    #[error("sending over SMTP failed: {0}")]
    Smtp(String),
    #[error("writing to the outbox failed: {0}")]
    Outbox(#[from] std::io::Error),
}

/// A message with a plain-text and an HTML body, already in the recipient's language.
#[derive(Clone, Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    describe: String,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, outbox: PathBuf, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from.parse().map_err(|_| MailError::BadFrom(from.to_string()))?;
        let (transport, describe) = match smtp_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => {
                let shown = crate::db::redact(url);
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::BadUrl(format!("{shown} ({e})")))?;
                (Transport::Smtp(builder.build()), format!("SMTP at {shown}"))
            }
            None => {
                let describe = format!("the development outbox {}", outbox.display());
                (Transport::Outbox(outbox), describe)
            }
        };
        Ok(Mailer { from, transport, describe })
    }

    /// Where mail goes, for the start-up banner and logs (no passwords).
    pub fn describe(&self) -> &str {
        &self.describe
    }

    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let to: Mailbox = email.to.parse().map_err(|_| MailError::BadTo)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
            .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| MailError::Smtp(e.to_string()))?;
                tracing::info!(subject = %email.subject, "mail sent over SMTP");
            }
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let millis = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                let who: String =
                    email.to.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
                let path = dir.join(format!("{millis}-{}-{who}.eml", crate::util::short_id()));
                tokio::fs::write(&path, message.formatted()).await?;
                // The body (codes, links) stays in the file, never in the log.
                tracing::info!(subject = %email.subject, file = %path.display(), "mail written to the development outbox");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// A minimal SMTP server: accepts one message and hands back what it received.
    async fn smtp_sink() -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Some(line) = lines.next_line().await.unwrap() {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 sink\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
            data
        });
        (port, task)
    }

    fn email() -> Email {
        Email {
            to: "dana@example.com".into(),
            subject: "Your sign-in code".into(),
            text: "Code: 123456".into(),
            html: "<p>Code: <b>123456</b></p>".into(),
        }
    }

    #[tokio::test]
    async fn sends_text_and_html_over_real_smtp() {
        let (port, sink) = smtp_sink().await;
        let outbox = std::env::temp_dir().join(format!("portal-unused-{}", crate::util::short_id()));
        let mailer =
            Mailer::new(Some(&format!("smtp://127.0.0.1:{port}")), outbox.clone(), "IoT Portal <no-reply@example.com>")
                .unwrap();
        assert!(mailer.describe().starts_with("SMTP at smtp://127.0.0.1"));
        mailer.send(&email()).await.unwrap();
        let received = sink.await.unwrap();
        assert!(received.contains("Subject: Your sign-in code"), "{received}");
        assert!(received.contains("To: dana@example.com"), "{received}");
        assert!(received.contains("text/plain") && received.contains("text/html"), "{received}");
        assert!(!outbox.exists(), "nothing written to the outbox");
    }

    #[tokio::test]
    async fn without_smtp_mail_lands_in_the_outbox() {
        let outbox = std::env::temp_dir().join(format!("portal-outbox-{}", crate::util::short_id()));
        let mailer = Mailer::new(None, outbox.clone(), "no-reply@example.com").unwrap();
        mailer.send(&email()).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("Subject: Your sign-in code") && text.contains("123456"));
        assert!(files[0].to_string_lossy().ends_with("-dana_example.com.eml"));
    }

    #[test]
    fn bad_settings_are_named_without_passwords() {
        let err = Mailer::new(Some("ftp://user:s3cret@mail"), PathBuf::from("x"), "a@b.c").err().unwrap();
        let msg = err.to_string();
        assert!(msg.starts_with("SMTP_URL") && !msg.contains("s3cret"), "{msg}");
        assert!(matches!(Mailer::new(None, PathBuf::from("x"), "not an address"), Err(MailError::BadFrom(_))));
    }

    #[tokio::test]
    async fn an_invalid_recipient_is_refused() {
        let mailer = Mailer::new(None, std::env::temp_dir(), "a@b.c").unwrap();
        let mut e = email();
        e.to = "not an address".into();
        assert!(matches!(mailer.send(&e).await, Err(MailError::BadTo)));
    }
}
