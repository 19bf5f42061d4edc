//! The relay's websocket frames: `decode_client` / `decode_server` on arbitrary bytes.
//!
//! Decoding must never panic. A frame that decodes must encode to bytes that decode to
//! the same frame, no longer than the input (the encoding is the shortest one), and a
//! limit below the input's length must refuse it as too large.

#![no_main]

use libfuzzer_sys::fuzz_target;
use samspill_shared::protocol::{
    DEFAULT_MAX_FRAME_BYTES, FRAME_OVERHEAD, ProtocolError, decode_client, decode_server,
    encode_client, encode_server,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = decode_client(data, DEFAULT_MAX_FRAME_BYTES) {
        let bytes = encode_client(&frame);
        assert!(bytes.len() <= data.len(), "re-encoding grew the frame");
        let again = decode_client(&bytes, DEFAULT_MAX_FRAME_BYTES)
            .expect("a re-encoded client frame decodes");
        assert_eq!(again, frame);
        assert_too_large(decode_client(data, data.len() - 1).map(drop), data.len());
    }

    let max = DEFAULT_MAX_FRAME_BYTES + FRAME_OVERHEAD;
    if let Ok(frame) = decode_server(data, max) {
        let bytes = encode_server(&frame);
        assert!(bytes.len() <= data.len(), "re-encoding grew the frame");
        let again = decode_server(&bytes, max).expect("a re-encoded server frame decodes");
        assert_eq!(again, frame);
        assert_too_large(decode_server(data, data.len() - 1).map(drop), data.len());
    }
});

/// A frame one byte over the limit is refused as too large, before anything else.
fn assert_too_large(result: Result<(), ProtocolError>, len: usize) {
    assert_eq!(result, Err(ProtocolError::TooLarge { len, max: len - 1 }));
}
