//! Command-line programs in pipes: a reader that stops early (`samspill templates |
//! head -1`) is not an error worth a message.

/// Whether any error in a chain of causes (`anyhow::Error::chain`) is a broken pipe.
pub fn is_broken_pipe<'a>(
    mut causes: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>,
) -> bool {
    causes.any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::is_broken_pipe;

    #[derive(Debug, thiserror::Error)]
    #[error("printing failed")]
    struct Printing(#[source] std::io::Error);

    #[test]
    fn finds_a_broken_pipe_anywhere_in_the_chain() {
        let pipe = Printing(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let chain = || -> Vec<&(dyn std::error::Error + 'static)> {
            vec![&pipe, std::error::Error::source(&pipe).unwrap_or(&pipe)]
        };
        assert!(is_broken_pipe(chain().into_iter()));
        let other = Printing(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let chain: Vec<&(dyn std::error::Error + 'static)> =
            vec![&other, std::error::Error::source(&other).unwrap_or(&other)];
        assert!(!is_broken_pipe(chain.into_iter()));
    }
}
