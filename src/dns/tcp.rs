//! DNS over TCP for replies truncated over UDP (RFC 7766): one connection
//! per query, the message framed with a two-byte length (RFC 1035 §4.2.2).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Sends `packet` to `server` over TCP and returns the reply, giving up at
/// `deadline`. Errors are one line for the user.
pub(crate) async fn exchange(
    server: SocketAddr,
    packet: Vec<u8>,
    deadline: Instant,
) -> Result<Vec<u8>, String> {
    match tokio::time::timeout_at(deadline, talk(server, &packet)).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(e)) => Err(format!("TCP to {server}: {e}")),
        Err(_) => Err(format!("TCP to {server}: no reply in time")),
    }
}

async fn talk(server: SocketAddr, packet: &[u8]) -> std::io::Result<Vec<u8>> {
    let len = u16::try_from(packet.len())
        .map_err(|_| std::io::Error::other("query too long for TCP framing"))?;
    let mut stream = TcpStream::connect(server).await?;
    stream.set_nodelay(true)?;
    let mut framed = Vec::with_capacity(packet.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(packet);
    stream.write_all(&framed).await?;
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(head))];
    stream.read_exact(&mut reply).await?;
    Ok(reply)
}
