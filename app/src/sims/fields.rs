//! Extra SIM info fields an administrator defines: a name, a kind and, for choices, the
//! allowed values.

/// The kinds a field can have.
pub const KINDS: [&str; 3] = ["text", "number", "choice"];

/// The longest value a field holds.
pub const MAX_VALUE: usize = 100;

/// Whether `value` is acceptable for a field of `kind` with `choices` (one per line).
pub fn accepts(kind: &str, choices: &str, value: &str) -> bool {
    if value.chars().count() > MAX_VALUE || value.chars().any(char::is_control) {
        return false;
    }
    match kind {
        "number" => value.parse::<f64>().is_ok_and(f64::is_finite),
        "choice" => choices.lines().any(|c| c.trim() == value),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_must_fit_their_field() {
        assert!(accepts("text", "", "Depot 4"));
        assert!(accepts("number", "", "12.5") && !accepts("number", "", "twelve"));
        assert!(accepts("choice", "Red\nGreen", "Green") && !accepts("choice", "Red\nGreen", "Blue"));
        assert!(!accepts("text", "", &"x".repeat(MAX_VALUE + 1)));
        assert!(!accepts("text", "", "a\u{0}b"));
    }
}
