//! Statements assembled at run time (filters, sort orders) with their values bound, never
//! pasted: the text holds only fixed fragments and `$n` placeholders.
use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe};

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Int(i64),
    Text(String),
    /// A missing text value (SQL `NULL`, typed as text).
    NullText,
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, Arg::Text)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

/// SQL text plus the values of its placeholders, in order.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), args: Vec::new() }
    }

    /// Appends fixed text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.args.push(v.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends another statement fragment, renumbering its placeholders.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        let base = self.args.len();
        let mut out = String::with_capacity(other.text.len());
        let b = other.text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                let n: usize = other.text[start..end].parse().unwrap_or(0);
                out.push_str(&format!("${}", n + base));
                i = end;
            } else {
                out.push(b[i] as char);
                i += 1;
            }
        }
        self.text.push_str(&out);
        self.args.extend(other.args.iter().cloned());
        self
    }

    pub fn arguments(&self) -> AnyArguments {
        let mut a = AnyArguments::default();
        for v in &self.args {
            match v {
                Arg::Int(i) => a.add(*i).expect("an integer always encodes"),
                Arg::Text(s) => a.add(s.clone()).expect("text always encodes"),
                Arg::NullText => a.add(None::<String>).expect("a null always encodes"),
            }
        }
        a
    }

    /// The statement with its values written in as PostgreSQL literals, for `COPY`, which takes
    /// no bound parameters: integers as digits, text between `'` with `'` doubled (exactly the
    /// text under `standard_conforming_strings`, which the caller sets). One pass over the
    /// fixed text, so a value is never read again as SQL (a value holding `$1` stays text).
    pub fn inline(&self) -> String {
        let b = self.text.as_bytes();
        let mut out = String::with_capacity(self.text.len() + 16 * self.args.len());
        let mut i = 0;
        let mut plain = 0;
        while i < b.len() {
            if b[i] == b'$' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                let mut end = i + 1;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                let n: usize = self.text[i + 1..end].parse().unwrap_or(0);
                out.push_str(&self.text[plain..i]);
                match n.checked_sub(1).and_then(|k| self.args.get(k)) {
                    Some(Arg::Int(v)) => out.push_str(&v.to_string()),
                    Some(Arg::Text(s)) => {
                        out.push('\'');
                        out.push_str(&s.replace('\0', "").replace('\'', "''"));
                        out.push('\'');
                    }
                    Some(Arg::NullText) | None => out.push_str("NULL"),
                }
                i = end;
                plain = end;
            } else {
                i += 1;
            }
        }
        out.push_str(&self.text[plain..]);
        out
    }

    /// The statement with the placeholders `engine` binds fastest: anonymous `?` on SQLite (see
    /// `Engine::placeholder`: binding thousands of `$n` there is quadratic). Valid because this
    /// builder numbers placeholders in the order they appear, each used once.
    pub fn for_engine(mut self, engine: super::Engine) -> Sql {
        if engine == super::Engine::Sqlite {
            let b = self.text.as_bytes();
            let mut out = String::with_capacity(self.text.len());
            let (mut i, mut plain) = (0, 0);
            while i < b.len() {
                if b[i] == b'$' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                    let mut end = i + 1;
                    while end < b.len() && b[end].is_ascii_digit() {
                        end += 1;
                    }
                    out.push_str(&self.text[plain..i]);
                    out.push('?');
                    i = end;
                    plain = end;
                } else {
                    i += 1;
                }
            }
            out.push_str(&self.text[plain..]);
            self.text = out;
        }
        self
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, AnyArguments> {
        sqlx::query_with(AssertSqlSafe(self.text.as_str()), self.arguments())
    }

    /// The statement, its rows read into `T` by column name.
    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, sqlx::Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(AssertSqlSafe(self.text.as_str()), self.arguments())
    }
}

/// `LIKE` pattern matching `s` anywhere, with `\` escaping the wildcards in `s`.
pub fn contains_pattern(s: &str) -> String {
    let mut p = String::with_capacity(s.len() + 2);
    p.push('%');
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The exclusive upper bound of the strings that start with `prefix`, for an index range
/// `col >= prefix AND col < upper` (digits and `/` only: the next character up is enough).
pub fn prefix_upper(prefix: &str) -> String {
    let mut s = prefix.to_string();
    if let Some(last) = s.pop() {
        s.push((last as u8 + 1) as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_fragments_are_renumbered() {
        let mut a = Sql::new("a = ");
        a.bind(1);
        let mut b = Sql::new(" AND b = ");
        b.bind("x").push(" AND c = ").bind(3);
        a.append(&b);
        assert_eq!(a.text, "a = $1 AND b = $2 AND c = $3");
        assert_eq!(a.args, vec![Arg::Int(1), Arg::Text("x".into()), Arg::Int(3)]);
    }

    #[test]
    fn sqlite_gets_anonymous_placeholders_in_order() {
        let mut a = Sql::new("a = ");
        a.bind(1).push(" AND b IN (").bind("$2").push(", ").bind(3).push(")");
        let pg = a.clone().for_engine(crate::db::Engine::Postgres);
        assert_eq!(pg.text, "a = $1 AND b IN ($2, $3)");
        let lite = a.for_engine(crate::db::Engine::Sqlite);
        assert_eq!(lite.text, "a = ? AND b IN (?, ?)");
        assert_eq!(lite.args[1], Arg::Text("$2".into()), "values are untouched");
    }

    #[test]
    fn inlined_values_stay_values() {
        let mut a = Sql::new("a = ");
        a.bind("it's $2").push(" AND b = ").bind(7).push(" AND c IN (").bind("x").push(")");
        for _ in 0..9 {
            a.push(" AND d = ").bind(0);
        }
        a.push(" AND e = ").bind(-12);
        assert!(a.inline().starts_with("a = 'it''s $2' AND b = 7 AND c IN ('x') AND d = 0"), "{}", a.inline());
        assert!(a.inline().ends_with(" AND e = -12"), "$12 is one placeholder: {}", a.inline());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        assert_eq!(prefix_upper("/1/5/"), "/1/50");
        assert_eq!(prefix_upper("8944"), "8945");
        assert!("/1/5/23/" < "/1/50" && "/1/50/" >= "/1/50");
    }
}
