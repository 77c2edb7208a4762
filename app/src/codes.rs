//! Enums that travel as text (in the database, in addresses, in forms) declare each variant's
//! code once, in [`code_enum!`], which writes the matching `code()`, `parse()`, `ALL`,
//! `Display` and `TryFrom<String>` (so a `sqlx::FromRow` row can hold the enum itself with
//! `#[sqlx(try_from = "String")]`). Shared by the server and the browser: nothing here needs `ssr`.
use std::fmt;

/// A code that names no variant of `kind` (a typo in an address, or a row written by a newer
/// build).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} code {:?}", self.kind, self.code)
    }
}

impl std::error::Error for UnknownCode {}

/// Declares an enum whose variants each have a text code, and writes:
///
/// - `code(self) -> &'static str` and `parse(&str) -> Option<Self>` (exact match),
/// - `ALL`, every variant in declaration order: an array, or with `all = slice;` a
///   `&'static [Self]` (for callers that iterate by reference),
/// - `Display` (the code) and `TryFrom<String>` (through `parse`).
///
/// `parse = by_hand;` leaves `parse` to the enum's own `impl` (for lenient parsing, such as
/// ignoring case); `TryFrom<String>` then uses that one. Attributes and doc comments go on the
/// enum and on each variant as usual. The options follow the enum, in this order.
///
/// ```ignore
/// code_enum! {
///     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
///     pub enum Metric {
///         Data = "data",
///         /// Messages, whatever their direction.
///         Sms = "sms",
///     }
/// }
/// ```
macro_rules! code_enum {
    (@all [] $name:ident [$($variant:ident)+]) => {
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];
        }
    };
    (@all [slice] $name:ident [$($variant:ident)+]) => {
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
        }
    };
    (@parse [] $name:ident [$($variant:ident = $code:literal)+]) => {
        impl $name {
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
    (@parse [by_hand] $name:ident [$($variant:ident = $code:literal)+]) => {};
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)?
        }
        $(all = $all:ident;)?
        $(parse = $parse:ident;)?
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant's code, in declaration order (a parameter's allowed words).
            #[allow(dead_code)]
            pub const CODES: &'static [&'static str] = &[$($code),+];

            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }
        }

        $crate::codes::code_enum!(@all [$($all)?] $name [$($variant)+]);
        $crate::codes::code_enum!(@parse [$($parse)?] $name [$($variant = $code)+]);

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = $crate::codes::UnknownCode;

            fn try_from(s: String) -> Result<$name, $crate::codes::UnknownCode> {
                $name::parse(&s).ok_or($crate::codes::UnknownCode { kind: stringify!($name), code: s })
            }
        }
    };
}
pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    code_enum! {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Fruit {
            /// Documented variants keep their docs.
            Apple = "apple",
            BloodOrange = "blood_orange",
        }
    }

    code_enum! {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum Loud {
            Yes = "YES",
        }
        all = slice;
        parse = by_hand;
    }

    impl Loud {
        fn parse(s: &str) -> Option<Loud> {
            Loud::ALL.iter().copied().find(|l| l.code().eq_ignore_ascii_case(s))
        }
    }

    #[test]
    fn codes_round_trip_and_list_every_variant() {
        assert_eq!(Fruit::ALL, [Fruit::Apple, Fruit::BloodOrange]);
        for f in Fruit::ALL {
            assert_eq!(Fruit::parse(f.code()), Some(f));
            assert_eq!(Fruit::try_from(f.to_string()), Ok(f));
        }
        assert_eq!(Fruit::parse("Apple"), None);
        let err = Fruit::try_from("pear".to_string()).unwrap_err();
        assert_eq!(err.to_string(), "unknown Fruit code \"pear\"");
    }

    #[test]
    fn options_give_a_slice_and_keep_a_parse_written_by_hand() {
        let all: &'static [Loud] = Loud::ALL;
        assert_eq!(all, &[Loud::Yes]);
        assert_eq!(Loud::try_from("yes".to_string()), Ok(Loud::Yes));
        assert_eq!(format!("{}", Loud::Yes), "YES");
    }

    /// What `TryFrom<String>` is for: a row struct holding the enum, an unknown code an error.
    #[cfg(feature = "ssr")]
    #[tokio::test]
    async fn a_row_holds_the_enum_itself() {
        use sqlx::Connection;
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(try_from = "String")]
            fruit: Fruit,
        }
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:").await.unwrap();
        let row: Row = sqlx::query_as("SELECT 'blood_orange' AS fruit").fetch_one(&mut conn).await.unwrap();
        assert_eq!(row.fruit, Fruit::BloodOrange);
        let bad = sqlx::query_as::<_, Row>("SELECT 'pear' AS fruit").fetch_one(&mut conn).await;
        assert!(matches!(bad, Err(sqlx::Error::ColumnDecode { .. })), "{:?}", bad.err());
    }
}
