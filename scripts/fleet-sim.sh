#!/usr/bin/env bash
# The test fleet: N simulated hosts on this machine, each a real sshd in its own network
# namespace (a veth on a bridge this script creates, private 10.x addresses), its own UTS
# namespace (hostname) and its own mount namespace (bind-mounted /etc/hosts, /etc/resolv.conf,
# /etc/timezone, /etc/passwd, /etc/sudoers and private temp directories), so that each host
# passes or fails individual checks. Used by controller/tests/fleet*.rs and the benchmark.
#
#   fleet-sim.sh up DIR SPEC...   start hosts; SPEC is NAME or NAME:FAULT,FAULT,...
#   fleet-sim.sh down DIR         stop every process this fleet started (by PID) and remove
#                                 its namespaces, links and bridge
#
# DIR must be absolute, empty or missing, and not under /tmp, /var/tmp, /dev/shm or /root
# (those are replaced per host). It receives client_key (ed25519, no passphrase), known_hosts,
# inventory.yaml (ironprep's own), inventory.ini (Ansible), hosts.txt (NAME ADDRESS) and per
# host DIR/NAME/{tmp,var-tmp,shm,home}: the host's temp directories, to prove nothing is left.
#
# Faults (a host without faults logs in as root and should pass what a container can pass):
#   hostname=VALUE   the host's hostname (default: NAME)          net.hostname, fleet.hostname-unique
#   tz=ZONE          /etc/timezone                                  fleet.timezone
#   resolv-empty     /etc/resolv.conf without a nameserver          net.resolv-nameserver
#   port=N           something listens on TCP port N                net.ports-free
#   noexec           /tmp, /var/tmp and /dev/shm mounted noexec     fs.tmp-exec; upload uses $HOME
#   down             no sshd at all (connection refused)            outcome unreachable
#   hang             port 22 accepts TCP and never answers          outcome timeout
#   rekey            known_hosts holds another key for the host     outcome host-key-mismatch
#   known-ecdsa      known_hosts holds only the host's ECDSA key    still verifies
#   refuse           the client key is not authorized               outcome auth-failed
#   garbage          every command prints garbage (ForceCommand)    outcome invalid-report
#   sudo             log in as user 'fleet' with passwordless sudo
#   sudo-password    log in as user 'fleet' whose sudo wants a password (the password is in
#                    DIR/sudo_password)  outcome agent-failed, or a report with --ask-become-pass
#   ssh-port=N       sshd listens on port N instead of 22 (known_hosts lists [ADDRESS]:N)
#   only-from=NAME   sshd lets users in only from host NAME's address (an earlier host): reached
#                    through NAME as a jump host, else outcome auth-failed
#   requiretty       log in as 'fleet' with passwordless sudo under `Defaults:fleet requiretty`
#                    (sudo -n without a terminal fails: "you must have a tty")
#   legacy           sshd restricted to what OpenSSH 7.4 (RHEL 7) offers: an RSA host key only
#                    (HostKeyAlgorithms ssh-rsa,rsa-sha2-256,rsa-sha2-512), its default kex
#                    (curve25519-sha256@libssh.org, ecdh-sha2-nistp256, diffie-hellman-group14-sha1)
#                    and user keys signed with ssh-rsa (SHA-1) only; authorizes DIR/client_rsa_key
#                    (RSA, made on first use) instead of client_key
#   drop-in=P:N      the host's firewall drops packets to its port N (P: tcp or udp)  fleet.connectivity
#   drop-in=ipip     the host's firewall drops incoming IP-in-IP (IP protocol 4)   fleet.connectivity (calico)
#   drop-out=P:N     the host's firewall drops packets it sends to port N    reach.*, fleet.connectivity
#   vrrp=VRID        the host advertises VRRPv2 for VRID every second (a router)  fleet.vrid
#   ciphers=A+B...   sshd offers only these ciphers (`Ciphers A,B,...`): a host in FIPS mode
#                    offers no ChaCha20-Poly1305
#   without=PROGRAM  the host has no PROGRAM on its PATH, as on one that never installed it (an
#                    overlay whites it out of each directory that holds it): without=zstd is
#                    RHEL 7's base, which gets the agent as xz; add without=xz for gzip
#
# Needs root, iproute2, util-linux (unshare), openssh-server and perl (for listeners); nftables
# for the drop faults. The gateway (the bridge, 10.x.255.1) is in the file DIR/gateway.
set -euo pipefail
# `ip` says only "RTNETLINK answers: File exists": name the command and its line too.
trap 'echo "fleet-sim.sh:$LINENO: failed: $BASH_COMMAND" >&2' ERR

die() { echo "fleet-sim: $*" >&2; exit 2; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 2 ] || usage
command=$1 dir=$2
shift 2
case "$dir" in
  /tmp/* | /var/tmp/* | /dev/shm/* | /root/* | /root) die "DIR must not be under /tmp, /var/tmp, /dev/shm or /root: $dir" ;;
  /*) ;;
  *) die "DIR must be absolute: $dir" ;;
esac

# A VRRP router: a VRRPv2 advertisement (priority 100, one VIP: the host's address + 100 in the
# last octet) to 224.0.0.18 every second, from a raw socket.
advertiser() {
  exec perl -MSocket -e '
    socket(my $s, PF_INET, SOCK_RAW, 112) or die "socket: $!";
    my ($vrid, $vip) = ($ARGV[0], inet_aton($ARGV[1]));
    my $p = pack("CCCCCCn", 0x21, $vrid, 100, 1, 0, 1, 0) . $vip . ("\0" x 8);
    my $sum = 0; $sum += $_ for unpack("n*", $p);
    $sum = ($sum >> 16) + ($sum & 0xffff); $sum += $sum >> 16;
    substr($p, 6, 2) = pack("n", ~$sum & 0xffff);
    my $to = sockaddr_in(0, inet_aton("224.0.0.18"));
    while (1) { send($s, $p, 0, $to) or die "send: $!"; sleep 1 }' "$1" "$2"
}

# A listener that accepts nothing: the kernel completes TCP handshakes, nobody ever speaks.
listener() {
  exec perl -MSocket -e '
    socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);
    bind($s, sockaddr_in($ARGV[0], INADDR_ANY)) or die "bind: $!";
    listen($s, 1024) or die "listen: $!";
    sleep 1 while 1;' "$1"
}

down() {
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
    sleep 0.2
    while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/pids"
    rm -f "$dir/pids"
  fi
  if [ -f "$dir/netns" ]; then
    while read -r ns; do ip netns del "$ns" 2>/dev/null || true; done <"$dir/netns"
    rm -f "$dir/netns"
  fi
  if [ -f "$dir/bridge" ]; then
    ip link del "$(cat "$dir/bridge")" 2>/dev/null || true
    rm -f "$dir/bridge"
  fi
}

if [ "$command" = down ]; then
  down
  exit 0
fi
[ "$command" = up ] || usage
[ $# -ge 1 ] || die "no hosts given"
[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, sshd)"
for tool in ip unshare sshd ssh-keygen perl; do
  command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y openssh-server iproute2)"
done
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then die "DIR is not empty: $dir"; fi
mkdir -p "$dir"
chmod 0755 "$dir"
# Anything that fails from here on tears down what was already started. Background processes
# get no stdin/stdout of ours (a caller reading our output to EOF would wait for them forever)
# and not the lock's descriptor 9.
trap 'status=$?; if [ $status -ne 0 ]; then down; fi' EXIT

# One /16 per fleet, chosen under a lock so concurrent fleets never share a subnet or a bridge.
exec 9>/run/ironprep-fleet-sim.lock
flock 9
octet=
for candidate in $(seq 77 126); do
  # A host link of that octet may outlive its fleet (a namespace some process still holds), and
  # so may a namespace of that octet whose links are gone: `ip netns add` would say "File exists".
  if ! ip -4 -o addr show | grep -q " 10\.$candidate\." && ! ip -o link show | grep -q ": ipfb\?$candidate[-h]\?[0-9]*[@:]" \
    && ! ip netns list | grep -q "^ipf$candidate-"; then
    octet=$candidate
    break
  fi
done
[ -n "$octet" ] || die "no free 10.x.0.0/16 subnet between 10.77 and 10.126"
bridge=ipfb$octet
ip link add "$bridge" type bridge
echo "$bridge" >"$dir/bridge"
ip addr add "10.$octet.255.1/16" dev "$bridge"
ip link set "$bridge" up
echo "10.$octet.255.1" >"$dir/gateway"
flock -u 9

# The kernel's neighbour (ARP) table is one for all namespaces: hosts that all talk to each
# other (--network) need N² entries, beyond the default limit of 1024 from about 30 hosts on, and
# then lose packets ("neighbor table overflow"). Raised for big fleets, never lowered.
need=$(( ($# + 1) * ($# + 1) ))
for level in 2 3; do
  key=net.ipv4.neigh.default.gc_thresh$level
  want=$(( need * (level - 1) ))
  if [ "$(sysctl -n "$key")" -lt "$want" ]; then sysctl -q -w "$key=$want"; fi
done

mkdir -p /run/sshd
chmod 0755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -C ironprep-fleet-client -f "$dir/client_key"
: >"$dir/known_hosts"
: >"$dir/hosts.txt"
: >"$dir/ports.txt"
: >"$dir/pids"
: >"$dir/netns"
printf 'hosts:\n' >"$dir/inventory.yaml"
printf '[all]\n' >"$dir/inventory.ini"

index=0
for spec in "$@"; do
  name=${spec%%:*}
  faults=
  [ "$spec" != "$name" ] && faults=${spec#*:}
  hostname=$name tz=Etc/UTC resolv=yes ports= noexec= down= hang= rekey= ecdsa_only= refuse= garbage= user=root sudo=
  drops= vrrp= requiretty= legacy= ciphers= ssh_port=22 only_from= without=
  IFS=, read -r -a list <<<"$faults"
  for fault in "${list[@]}"; do
    case "$fault" in
      hostname=*) hostname=${fault#hostname=} ;;
      tz=*) tz=${fault#tz=} ;;
      resolv-empty) resolv= ;;
      port=*) ports="$ports ${fault#port=}" ;;
      noexec) noexec=1 ;;
      down) down=1 ;;
      hang) hang=1 ;;
      rekey) rekey=1 ;;
      known-ecdsa) ecdsa_only=1 ;;
      refuse) refuse=1 ;;
      garbage) garbage=1 ;;
      sudo) user=fleet sudo=nopasswd ;;
      sudo-password) user=fleet sudo=password ;;
      requiretty) user=fleet sudo=nopasswd requiretty=1 ;;
      legacy) legacy=1 ;;
      ciphers=?*) ciphers=${fault#ciphers=}
        [[ "$ciphers" =~ ^[a-z0-9@.+-]+$ ]] || die "ciphers: not a cipher list: '$ciphers'"
        ciphers=${ciphers//+/,} ;;
      ssh-port=[0-9]*) ssh_port=${fault#ssh-port=} ;;
      only-from=?*) only_from=$(awk -v n="${fault#only-from=}" '$1 == n { print $2 }' "$dir/hosts.txt")
        [ -n "$only_from" ] || die "only-from: no earlier host ${fault#only-from=}" ;;
      drop-in=tcp:[0-9]* | drop-in=udp:[0-9]*) drops="$drops input:${fault#drop-in=}" ;;
      drop-in=ipip) drops="$drops input:ipip" ;;
      drop-out=tcp:[0-9]* | drop-out=udp:[0-9]*) drops="$drops output:${fault#drop-out=}" ;;
      vrrp=[0-9]*) vrrp=${fault#vrrp=} ;;
      without=*) program=${fault#without=}
        [[ "$program" =~ ^[A-Za-z0-9._+-]+$ ]] || die "without: not a program name: '$program'"
        without="$without $program" ;;
      '') ;;
      *) die "unknown fault '$fault' for host $name" ;;
    esac
  done
  address="10.$octet.$((index / 250)).$((index % 250 + 2))"
  ns="ipf$octet-$index"
  veth="ipf${octet}h$index"
  h="$dir/$name"
  [ -e "$h" ] && die "duplicate host name $name"
  mkdir -p "$h/tmp" "$h/var-tmp" "$h/shm" "$h/home" "$h/etc"
  chmod 1777 "$h/tmp" "$h/var-tmp" "$h/shm"
  chmod 0700 "$h/home"

  ip netns add "$ns"
  echo "$ns" >>"$dir/netns"
  # The pair is made here and one end moved: made directly in the namespace, the kernel
  # sometimes answered "File exists" while namespaces of earlier fleets were still going away.
  ip link add "$veth" type veth peer name "${veth}p"
  ip link set "${veth}p" netns "$ns"
  ip -n "$ns" link set "${veth}p" name eth0
  ip link set "$veth" master "$bridge" up
  ip -n "$ns" addr add "$address/16" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" route add default via "10.$octet.255.1"
  if [ -n "$drops" ]; then
    command -v nft >/dev/null || die "the drop faults need nft (apt-get install -y nftables)"
    rules="table inet ironprep_sim { chain input { type filter hook input priority 0; }; chain output { type filter hook output priority 0; }; }"
    for drop in $drops; do
      hook=${drop%%:*} rest=${drop#*:}
      if [ "$rest" = ipip ]; then
        rules="$rules
add rule inet ironprep_sim $hook meta l4proto 4 drop"
      else
        rules="$rules
add rule inet ironprep_sim $hook ${rest%%:*} dport ${rest#*:} drop"
      fi
    done
    printf '%s\n' "$rules" | ip netns exec "$ns" nft -f -
  fi

  # The host's own /etc files, bind-mounted over the real ones in its mount namespace.
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n' \
    "$address" "$hostname" >"$h/etc/hosts"
  if [ -n "$resolv" ]; then
    printf 'nameserver 10.%s.255.1\n' "$octet" >"$h/etc/resolv.conf"
  else
    printf '# no nameserver on this host\n' >"$h/etc/resolv.conf"
  fi
  printf '%s\n' "$tz" >"$h/etc/timezone"
  home=/root
  if [ "$user" = fleet ]; then
    home="$h/home"
    chown 4242:4242 "$h/home"
    { cat /etc/passwd; echo "fleet:x:4242:4242:ironprep fleet:$home:/bin/sh"; } >"$h/etc/passwd"
    { cat /etc/group; echo "fleet:x:4242:"; } >"$h/etc/group"
    hash='*'
    if [ "$sudo" = password ]; then
      [ -f "$dir/sudo_password" ] || printf 'fleet-sudo-%s\n' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" >"$dir/sudo_password"
      hash=$(openssl passwd -6 -stdin <"$dir/sudo_password")
    fi
    { cat /etc/shadow; echo "fleet:$hash:19000:0:99999:7:::"; } >"$h/etc/shadow"
    chmod 0640 "$h/etc/shadow"
  fi
  {
    echo 'Defaults env_reset'
    # No cached credentials: every run must give the password again.
    echo 'Defaults timestamp_timeout=0'
    [ -n "$requiretty" ] && echo 'Defaults:fleet requiretty'
    echo 'root ALL=(ALL:ALL) ALL'
    case "$sudo" in
      nopasswd) echo 'fleet ALL=(ALL:ALL) NOPASSWD: ALL' ;;
      password) echo 'fleet ALL=(ALL:ALL) ALL' ;;
    esac
  } >"$h/etc/sudoers"
  chmod 0440 "$h/etc/sudoers"

  # sshd: its own host keys and config; LogLevel ERROR keeps the logs small at 300 hosts.
  if [ -n "$legacy" ]; then
    ssh-keygen -q -t rsa -b 2048 -N '' -f "$h/ssh_host_rsa_key"
    [ -f "$dir/client_rsa_key" ] || ssh-keygen -q -t rsa -b 3072 -N '' -C ironprep-fleet-rsa -f "$dir/client_rsa_key"
  else
    ssh-keygen -q -t ed25519 -N '' -f "$h/ssh_host_ed25519_key"
    ssh-keygen -q -t ecdsa -b 256 -N '' -f "$h/ssh_host_ecdsa_key"
  fi
  if [ -n "$refuse" ]; then
    : >"$h/authorized_keys"
  elif [ -n "$legacy" ]; then
    cp "$dir/client_rsa_key.pub" "$h/authorized_keys"
  else
    cp "$dir/client_key.pub" "$h/authorized_keys"
  fi
  chmod 0644 "$h/authorized_keys"
  {
    echo "ListenAddress $address"
    echo "Port $ssh_port"
    [ -n "$only_from" ] && echo "AllowUsers *@$only_from"
    if [ -n "$legacy" ]; then
      echo "HostKey $h/ssh_host_rsa_key"
      echo "HostKeyAlgorithms ssh-rsa,rsa-sha2-256,rsa-sha2-512"
      echo "KexAlgorithms curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha1"
      echo "PubkeyAcceptedAlgorithms ssh-rsa"
    else
      echo "HostKey $h/ssh_host_ed25519_key"
      echo "HostKey $h/ssh_host_ecdsa_key"
    fi
    [ -n "$ciphers" ] && echo "Ciphers $ciphers"
    echo "AuthorizedKeysFile $h/authorized_keys"
    echo "PermitRootLogin prohibit-password"
    echo "PasswordAuthentication no"
    echo "KbdInteractiveAuthentication no"
    echo "UsePAM no"
    echo "StrictModes no"
    echo "UseDNS no"
    echo "MaxStartups 1000"
    echo "MaxSessions 100"
    echo "PidFile none"
    echo "LogLevel ERROR"
    [ -n "$garbage" ] && echo "ForceCommand echo 'this is not a report {'"
  } >"$h/sshd_config"

  known_name=$address
  [ "$ssh_port" = 22 ] || known_name="[$address]:$ssh_port"
  if [ -n "$rekey" ]; then
    ssh-keygen -q -t ed25519 -N '' -f "$h/other_host_key"
    echo "$known_name $(cut -d' ' -f1,2 "$h/other_host_key.pub")" >>"$dir/known_hosts"
  elif [ -n "$legacy" ]; then
    echo "$known_name $(cut -d' ' -f1,2 "$h/ssh_host_rsa_key.pub")" >>"$dir/known_hosts"
  elif [ -n "$ecdsa_only" ]; then
    echo "$known_name $(cut -d' ' -f1,2 "$h/ssh_host_ecdsa_key.pub")" >>"$dir/known_hosts"
  else
    echo "$known_name $(cut -d' ' -f1,2 "$h/ssh_host_ed25519_key.pub")" >>"$dir/known_hosts"
  fi

  # What the host's mount namespace looks like, then sshd in the foreground (exec keeps the PID).
  mounts="mount --bind '$h/etc/hosts' /etc/hosts && mount --bind '$h/etc/resolv.conf' /etc/resolv.conf"
  mounts="$mounts && mount --bind '$h/etc/timezone' /etc/timezone && mount --bind '$h/etc/sudoers' /etc/sudoers"
  if [ "$user" = fleet ]; then
    for file in passwd group shadow; do mounts="$mounts && mount --bind '$h/etc/$file' /etc/$file"; done
  fi
  for pair in "tmp:/tmp" "var-tmp:/var/tmp" "shm:/dev/shm" "home:/root"; do
    source="$h/${pair%%:*}" target=${pair#*:}
    [ "$target" = /root ] && [ "$user" = fleet ] && continue
    mounts="$mounts && mount --bind '$source' $target"
    if [ -n "$noexec" ] && [ "$target" != /root ]; then
      mounts="$mounts && mount -o remount,bind,noexec $target"
    fi
  done
  # Each PATH directory that holds a hidden program gets an overlay whose top layer has a
  # whiteout (a 0/0 character device) by that name: the program is gone from the host's view,
  # as if never installed, and everything else in the directory stays.
  for program in $without; do
    for bin in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
      [ -L "$bin" ] || [ ! -e "$bin/$program" ] && continue
      layer="$h/without${bin//\//-}"
      if [ ! -d "$layer" ]; then
        mkdir -p "$layer"
        mounts="$mounts && mount -t overlay overlay -o 'lowerdir=$layer:$bin' $bin"
      fi
      [ -e "$layer/$program" ] || mknod "$layer/$program" c 0 0
    done
  done
  if [ -n "$hang" ]; then
    ip netns exec "$ns" bash -c "$(declare -f listener); listener $ssh_port" </dev/null >/dev/null 2>&1 9>&- &
    echo $! >>"$dir/pids"
  elif [ -z "$down" ]; then
    ip netns exec "$ns" unshare --uts --mount --propagation private \
      sh -c "echo '$hostname' >/proc/sys/kernel/hostname && $mounts && exec $(command -v sshd) -D -e -f '$h/sshd_config'" \
      </dev/null >/dev/null 2>>"$h/sshd.log" 9>&- &
    echo $! >>"$dir/pids"
  fi
  for port in $ports; do
    ip netns exec "$ns" bash -c "$(declare -f listener); listener $port" </dev/null >/dev/null 2>&1 9>&- &
    echo $! >>"$dir/pids"
  done
  if [ -n "$vrrp" ]; then
    vip="${address%.*}.$(( ${address##*.} + 100 ))"
    ip netns exec "$ns" bash -c "$(declare -f advertiser); advertiser $vrrp $vip" </dev/null >/dev/null 2>>"$h/vrrp.log" 9>&- &
    echo $! >>"$dir/pids"
  fi

  echo "$name $address" >>"$dir/hosts.txt"
  echo "$name $address $ssh_port $user" >>"$dir/ports.txt"
  printf '  - name: %s\n    address: %s\n    user: %s\n    port: %s\n' "$name" "$address" "$user" "$ssh_port" >>"$dir/inventory.yaml"
  printf '%s ansible_host=%s ansible_user=%s ansible_port=%s\n' "$name" "$address" "$user" "$ssh_port" >>"$dir/inventory.ini"
  index=$((index + 1))
done

# Ready when every sshd answers with its banner (or at most 10 s).
for _ in $(seq 100); do
  waiting=0
  while read -r name address port _; do
    spec_down=$(printf '%s\n' "$@" | grep -E "^$name:(.*,)?(down|hang)(,|$)" || true)
    [ -n "$spec_down" ] && continue
    if ! timeout 1 bash -c "exec 3<>/dev/tcp/$address/$port && head -c 4 <&3 | grep -q SSH-" 2>/dev/null; then
      waiting=1
      break
    fi
  done <"$dir/ports.txt"
  [ $waiting -eq 0 ] && break
  sleep 0.1
done
[ $waiting -eq 0 ] || die "sshd did not come up on every host; see $dir/*/sshd.log"
echo "fleet-sim: $index hosts on $bridge (10.$octet.0.0/16) in $dir" >&2
