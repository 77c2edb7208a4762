//! Numbers a text message may be sent to (sign-in codes, the check of a new phone), parsed and
//! classified with libphonenumber's data (the `phonenumber` crate). A number passes when it is a
//! valid number of a country (international services such as +800, +808, +870, +878, +881,
//! +882, +883, +888 and +979 belong to none), of a kind that receives text messages (mobile, or
//! a region where fixed and mobile numbers look alike), and, when the customer lists the
//! countries its users may use, of one of those. Premium-rate, shared-cost, toll-free, personal,
//! VoIP, pager and company numbers never pass: a code sent there costs money or reaches nobody.
use phonenumber::{Type, country};

/// A number that passed, in E.164 (`+393471234567`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsNumber(String);

impl SmsNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneProblem {
    /// Not a phone number with a country code, or not a valid one.
    Invalid,
    /// Valid, but of a kind text messages must not go to (premium rate, non-geographic …).
    NotMobile,
    /// Of a country the customer does not allow.
    Country,
}

/// The countries a customer allows, from its setting (`"IT, ES"`); empty allows every country.
pub fn countries(setting: &str) -> Vec<String> {
    setting
        .split([',', ' ', ';'])
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        .collect()
}

/// Whether `code` is a country the phone data knows (`IT`), for the settings form.
pub fn is_country(code: &str) -> bool {
    code.parse::<country::Id>().is_ok()
}

/// Parses `raw` (with its `+` country code; spaces, dashes and a `00` prefix allowed) and
/// checks it against the kinds above and `allowed` countries (empty: any country).
pub fn parse(raw: &str, allowed: &[String]) -> Result<SmsNumber, PhoneProblem> {
    let trimmed = raw.trim();
    let plus = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_string(),
    };
    if !plus.starts_with('+') || plus.len() > 32 {
        return Err(PhoneProblem::Invalid);
    }
    let number = phonenumber::parse(None, &plus).map_err(|_| PhoneProblem::Invalid)?;
    if !number.is_valid() {
        return Err(PhoneProblem::Invalid);
    }
    // International services (region "001") have no country.
    let Some(region) = number.country().id() else { return Err(PhoneProblem::NotMobile) };
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile => {}
        _ => return Err(PhoneProblem::NotMobile),
    }
    if !allowed.is_empty() && !allowed.iter().any(|c| c == region.as_ref()) {
        return Err(PhoneProblem::Country);
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    Ok(SmsNumber(e164))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_of_any_country_pass_by_default() {
        assert_eq!(parse("+39 347 123 4567", &[]).unwrap().as_str(), "+393471234567");
        assert_eq!(parse("0034 612 345 678", &[]).unwrap().as_str(), "+34612345678");
        assert!(parse("+1 202 555 0143", &[]).is_ok(), "the US: fixed or mobile cannot be told apart");
    }

    #[test]
    fn premium_rate_and_international_service_numbers_never_pass() {
        for n in ["+979 123456789", "+881 612345678", "+882 34 1234 5678", "+883 5100 0000 0000", "+800 1234 5678"] {
            assert_ne!(parse(n, &[]).map(|_| ()), Ok(()), "{n}");
        }
        assert_eq!(parse("+1 900 555 0123", &[]), Err(PhoneProblem::NotMobile), "US premium rate");
        assert_eq!(parse("+39 899 123456", &[]), Err(PhoneProblem::NotMobile), "Italian premium rate");
        assert_eq!(parse("+44 800 123 4567", &[]), Err(PhoneProblem::NotMobile), "toll free");
        assert_eq!(parse("+39 06 1234 5678", &[]), Err(PhoneProblem::NotMobile), "a Roman landline");
    }

    #[test]
    fn a_customers_country_list_is_enforced() {
        let allowed = countries("it, ES;de");
        assert_eq!(allowed, vec!["IT", "ES", "DE"]);
        assert!(parse("+39 347 123 4567", &allowed).is_ok());
        assert_eq!(parse("+33 6 12 34 56 78", &allowed), Err(PhoneProblem::Country));
    }

    #[test]
    fn malformed_input_is_invalid() {
        for n in ["3471234567", "+", "+39", "hello", "+39 347 123 4567 8901 2345 6789 0123 4567"] {
            assert_eq!(parse(n, &[]), Err(PhoneProblem::Invalid), "{n}");
        }
    }
}
