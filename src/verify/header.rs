//! Reading the one header value a scheme depends on, refusing ambiguity.

use http::HeaderMap;

use super::Rejection;

/// Longer than any signature, token or id a provider sends; anything past it
/// is refused before it is decoded.
const MAX_VALUE_LEN: usize = 4096;

/// The value of a header that must appear exactly once, with the optional
/// whitespace HTTP allows around it removed.
///
/// A repeated header is refused rather than resolved: which copy a proxy
/// keeps is not something a signature check should depend on.
pub(crate) fn single<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Rejection> {
    single_bounded(headers, name, MAX_VALUE_LEN)
}

/// As [`single`], for a header whose values may be longer (OAuth2 access
/// tokens), refused past `max_len`.
pub(crate) fn single_bounded<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
    max_len: usize,
) -> Result<&'a str, Rejection> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(Rejection::MissingHeader(name))?;
    if values.next().is_some() {
        return Err(Rejection::RepeatedHeader(name));
    }
    if value.len() > max_len {
        return Err(Rejection::MalformedHeader(name));
    }
    let text = value
        .to_str()
        .map_err(|_| Rejection::MalformedHeader(name))?;
    let text = text.trim_matches([' ', '\t']);
    if text.is_empty() {
        return Err(Rejection::MissingHeader(name));
    }
    Ok(text)
}

/// Splits `Authorization: <word> <param>` for an auth scheme whose word is
/// case-insensitive (RFC 9110 §11.1); `None` when the word differs or the
/// parameter is missing.
pub(crate) fn auth_param<'a>(value: &'a str, word: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    if !given.eq_ignore_ascii_case(word) {
        return None;
    }
    let param = rest.trim_start_matches(' ');
    (!param.is_empty()).then_some(param)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn map(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_bytes(v).unwrap());
        }
        m
    }

    #[test]
    fn single_value_is_trimmed() {
        let m = map(&[("x-a", b" \tabc\t ")]);
        assert_eq!(single(&m, "x-a"), Ok("abc"));
        assert_eq!(single(&m, "X-A"), Ok("abc"), "names are case-insensitive");
    }

    #[test]
    fn missing_blank_repeated_and_binary_are_refused() {
        assert_eq!(
            single(&map(&[]), "x-a"),
            Err(Rejection::MissingHeader("x-a"))
        );
        assert_eq!(
            single(&map(&[("x-a", b"  ")]), "x-a"),
            Err(Rejection::MissingHeader("x-a"))
        );
        assert_eq!(
            single(&map(&[("x-a", b"1"), ("x-a", b"1")]), "x-a"),
            Err(Rejection::RepeatedHeader("x-a"))
        );
        assert_eq!(
            single(&map(&[("x-a", b"\xff")]), "x-a"),
            Err(Rejection::MalformedHeader("x-a"))
        );
        let long = vec![b'a'; MAX_VALUE_LEN + 1];
        assert_eq!(
            single(&map(&[("x-a", &long)]), "x-a"),
            Err(Rejection::MalformedHeader("x-a"))
        );
    }

    #[test]
    fn auth_param_word_is_case_insensitive() {
        assert_eq!(auth_param("Bearer abc", "Bearer"), Some("abc"));
        assert_eq!(auth_param("bearer   abc", "Bearer"), Some("abc"));
        assert_eq!(auth_param("Basic abc", "Bearer"), None);
        assert_eq!(auth_param("Bearer", "Bearer"), None);
        assert_eq!(auth_param("Bearer ", "Bearer"), None);
        assert_eq!(auth_param("Bearerabc", "Bearer"), None);
    }
}
