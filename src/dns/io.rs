//! Sockets and batched socket calls: one connected UDP socket per server
//! (the kernel drops datagrams from any other address), `recvmmsg` and
//! `sendmmsg` through nix on Linux, so a batch of replies or queries costs
//! one system call.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{MsgFlags, MultiHeaders, recvmmsg, sendmmsg};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams per batched call.
pub(crate) const BATCH: usize = 32;
/// Receive buffer per datagram: more than the EDNS size offered, so a reply
/// that is cut here comes from a server that ignored it (treated as TC).
pub(crate) const RECV_SIZE: usize = 4096;
/// Kernel receive buffer asked for: a window of a thousand replies fits.
const SOCKET_RECV_BUFFER: usize = 1 << 20;

/// A non-blocking UDP socket connected to `server`, for use in tokio.
pub(crate) fn connected(server: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(server),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    // A bigger buffer is a wish: the kernel caps it at net.core.rmem_max.
    let _ = socket.set_recv_buffer_size(SOCKET_RECV_BUFFER);
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    socket.bind(&local.into())?;
    socket.connect(&server.into())?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Reusable buffers for one batch of received datagrams.
pub(crate) struct RecvBatch {
    bufs: Vec<u8>,
    lens: [usize; BATCH],
    cut: [bool; BATCH],
    count: usize,
}

impl RecvBatch {
    pub(crate) fn new() -> RecvBatch {
        RecvBatch {
            bufs: vec![0; BATCH * RECV_SIZE],
            lens: [0; BATCH],
            cut: [false; BATCH],
            count: 0,
        }
    }

    /// Reads up to [`BATCH`] datagrams without blocking; `WouldBlock` when
    /// there are none (tokio then waits for readiness again).
    pub(crate) fn recv(&mut self, socket: &UdpSocket) -> io::Result<usize> {
        self.count = 0;
        let fd = socket.as_raw_fd();
        let (bufs, lens, cut) = (&mut self.bufs, &mut self.lens, &mut self.cut);
        let n = socket.try_io(Interest::READABLE, || {
            let mut headers = MultiHeaders::<()>::preallocate(BATCH, None);
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = bufs
                .chunks_mut(RECV_SIZE)
                .map(|b| [IoSliceMut::new(b)])
                .collect();
            let results = recvmmsg(
                fd,
                &mut headers,
                slices.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            )
            .map_err(io::Error::from)?;
            let mut n = 0;
            for (i, msg) in results.enumerate() {
                lens[i] = msg.bytes.min(RECV_SIZE);
                cut[i] = msg.flags.contains(MsgFlags::MSG_TRUNC);
                n = i + 1;
            }
            Ok(n)
        })?;
        self.count = n;
        Ok(n)
    }

    /// Datagram `i` of the last batch, and whether it was cut to fit.
    pub(crate) fn get(&self, i: usize) -> Option<(&[u8], bool)> {
        if i >= self.count {
            return None;
        }
        let start = i * RECV_SIZE;
        Some((&self.bufs[start..start + self.lens[i]], self.cut[i]))
    }
}

/// Sends `packets` in one call where possible; returns how many went out
/// (`WouldBlock` when the socket buffer is full).
pub(crate) fn send_batch(socket: &UdpSocket, packets: &[&[u8]]) -> io::Result<usize> {
    if packets.is_empty() {
        return Ok(0);
    }
    let fd = socket.as_raw_fd();
    socket.try_io(Interest::WRITABLE, || {
        let n = packets.len().min(BATCH);
        let mut headers = MultiHeaders::<()>::preallocate(n, None);
        let slices: Vec<[IoSlice<'_>; 1]> =
            packets[..n].iter().map(|p| [IoSlice::new(p)]).collect();
        let addrs: Vec<Option<()>> = vec![None; n];
        let sent = sendmmsg(
            fd,
            &mut headers,
            slices.iter(),
            addrs,
            [],
            MsgFlags::MSG_DONTWAIT,
        )
        .map_err(io::Error::from)?;
        Ok(sent.count())
    })
}
