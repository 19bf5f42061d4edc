//! Invite links: `Invite::parse` on arbitrary UTF-8 (and `RelayUrl`'s parser, which
//! shares the host and port checks).
//!
//! Parsing must never panic. A link that parses must print (`Display`) as a link that
//! parses to the same invite and prints the same again; likewise a relay URL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use samspill_shared::link::{Invite, RelayUrl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(invite) = Invite::parse(text) {
        let link = invite.to_string();
        let again = Invite::parse(&link).expect("a printed invite link parses");
        assert!(again == invite, "{link} parsed to another invite");
        assert_eq!(again.to_string(), link);
    }

    if let Ok(url) = text.parse::<RelayUrl>() {
        let printed = url.to_string();
        let again: RelayUrl = printed.parse().expect("a printed relay URL parses");
        assert_eq!(again, url);
        assert_eq!(again.to_string(), printed);
    }
});
