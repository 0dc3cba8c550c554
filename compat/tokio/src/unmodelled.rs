//! tokio's `io`, `net` and `fs` are not modelled: a program that does real io inside a check
//! would escape the model (its timing, its failures, its blocking). Their common entry points
//! exist so that code compiles under the rename, and each fails the execution with a message
//! saying so: the check reports a panic naming the call. Put io behind a trait or a channel,
//! and give the check an in-memory implementation.

/// Fails the execution: `what` is not modelled.
#[track_caller]
pub(crate) fn unsupported(what: &str) -> ! {
    panic!(
        "{what} is not modelled by interleave-tokio: real io inside a check would escape the model; \
         put it behind a trait or a channel and give the check an in-memory implementation (docs/tokio.md)"
    )
}

/// tokio's `io`: the std error types, so signatures compile. Async io traits are not provided.
pub mod io {
    pub use std::io::{Error, ErrorKind, Result};
}

/// tokio's `fs`: each function fails the execution (not modelled).
pub mod fs {
    use std::future::Ready;
    use std::io;
    use std::path::Path;

    /// Not modelled: fails the execution.
    #[track_caller]
    pub fn read(_path: impl AsRef<Path>) -> Ready<io::Result<Vec<u8>>> {
        super::unsupported("tokio::fs::read")
    }

    /// Not modelled: fails the execution.
    #[track_caller]
    pub fn read_to_string(_path: impl AsRef<Path>) -> Ready<io::Result<String>> {
        super::unsupported("tokio::fs::read_to_string")
    }

    /// Not modelled: fails the execution.
    #[track_caller]
    pub fn write(_path: impl AsRef<Path>, _contents: impl AsRef<[u8]>) -> Ready<io::Result<()>> {
        super::unsupported("tokio::fs::write")
    }
}

/// tokio's `net`: binding or connecting fails the execution (not modelled).
pub mod net {
    use std::future::Ready;
    use std::io;

    /// Not modelled: `bind` fails the execution.
    #[derive(Debug)]
    pub struct TcpListener(());

    impl TcpListener {
        /// Not modelled: fails the execution.
        #[track_caller]
        pub fn bind(_addr: impl std::fmt::Debug) -> Ready<io::Result<TcpListener>> {
            super::unsupported("tokio::net::TcpListener::bind")
        }
    }

    /// Not modelled: `connect` fails the execution.
    #[derive(Debug)]
    pub struct TcpStream(());

    impl TcpStream {
        /// Not modelled: fails the execution.
        #[track_caller]
        pub fn connect(_addr: impl std::fmt::Debug) -> Ready<io::Result<TcpStream>> {
            super::unsupported("tokio::net::TcpStream::connect")
        }
    }

    /// Not modelled: `bind` fails the execution.
    #[derive(Debug)]
    pub struct UdpSocket(());

    impl UdpSocket {
        /// Not modelled: fails the execution.
        #[track_caller]
        pub fn bind(_addr: impl std::fmt::Debug) -> Ready<io::Result<UdpSocket>> {
            super::unsupported("tokio::net::UdpSocket::bind")
        }
    }
}
