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

/// Longest field name.
pub const MAX_NAME: usize = 40;
/// Most allowed values of a choice field.
pub const MAX_CHOICES: usize = 50;

/// Why a field definition was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefinitionProblem {
    Name,
    Kind,
    Choices,
}

/// Checks a new field: a name of 1 to 40 characters, a known kind, and for a choice field 1 to
/// 50 distinct values of at most 100 characters. Returns the cleaned name and choices.
pub fn parse_definition(name: &str, kind: &str, choices: &str) -> Result<(String, Vec<String>), DefinitionProblem> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(DefinitionProblem::Name);
    }
    if !KINDS.contains(&kind) {
        return Err(DefinitionProblem::Kind);
    }
    let mut values: Vec<String> = Vec::new();
    if kind == "choice" {
        for v in choices.lines().map(str::trim).filter(|v| !v.is_empty()) {
            if v.chars().count() > MAX_VALUE || v.chars().any(char::is_control) {
                return Err(DefinitionProblem::Choices);
            }
            if !values.iter().any(|x| x == v) {
                values.push(v.to_string());
            }
        }
        if values.is_empty() || values.len() > MAX_CHOICES {
            return Err(DefinitionProblem::Choices);
        }
    }
    Ok((name.to_string(), values))
}

#[cfg(test)]
mod definition_tests {
    use super::*;

    #[test]
    fn definitions_are_checked() {
        assert_eq!(parse_definition(" Depot ", "text", "ignored").unwrap(), ("Depot".into(), vec![]));
        assert_eq!(
            parse_definition("Colour", "choice", "Red\n\nGreen\nRed").unwrap().1,
            vec!["Red".to_string(), "Green".to_string()]
        );
        assert_eq!(parse_definition("", "text", ""), Err(DefinitionProblem::Name));
        assert_eq!(parse_definition("X", "date", ""), Err(DefinitionProblem::Kind));
        assert_eq!(parse_definition("X", "choice", " \n "), Err(DefinitionProblem::Choices));
    }
}
