#!/usr/bin/env bash
# Regenerates fixtures/kernels/ from Debian's own kernel packages (see fixtures/kernels/README.md).
#
#   bash packages/btf/scripts/kernels/regenerate.sh [WORKDIR]
#
# Needs Debian 12 (bookworm) sources and: apt-get, dpkg-deb, lz4, pahole (dwarves), objcopy (binutils) and
# s390x-linux-gnu-objcopy (binutils-s390x-linux-gnu). Run `npm run build -w @memdesc/btf` first. Downloads
# about 1.3 GB (the -dbg packages carry the DWARF that pahole turns into BTF where Debian's build made none)
# into WORKDIR (default: a new temporary directory), which it leaves for inspection.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:-$(mktemp -d -t memdesc-kernels-XXXXXX)}"
mkdir -p "$work"
cd "$work"

# The exact packages. Debian's security archive keeps only the newest build of a kernel ABI; an older one is
# on snapshot.debian.org under the same name and version.
amd64_pkg=linux-image-6.1.0-57-cloud-amd64-unsigned
amd64_ver=6.1.192-3
i386_pkg=linux-image-6.1.0-57-686-dbg
i386_ver=6.1.192-3
s390x_pkg=linux-image-6.1.0-50-s390x-dbg
s390x_ver=6.1.176-1

for arch in i386 s390x; do
  dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
done
apt-get update -qq
apt-get download "$amd64_pkg=$amd64_ver" "$i386_pkg:i386=$i386_ver" "$s390x_pkg:s390x=$s390x_ver"

# x86-64: Debian builds BTF (CONFIG_DEBUG_INFO_BTF=y). The vmlinux inside the bzImage is the stripped ELF the
# decompressor loads, .BTF included: its payload starts (setup_sects + 1) * 512 + payload_offset bytes in
# (Documentation/arch/x86/boot.rst) and is LZ4-compressed (CONFIG_KERNEL_LZ4=y in the package's config),
# followed by the 4-byte decompressed size the build appends (arch/x86/boot/compressed/Makefile, lz4_with_size).
mkdir -p amd64
dpkg-deb -x "${amd64_pkg}_${amd64_ver}_amd64.deb" amd64
vmlinuz=$(echo amd64/boot/vmlinuz-*)
u8() { od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 --endian=little "$1" | tr -d ' '; }
setup_sects=$(u8 "$vmlinuz" $((0x1f1)))
payload_offset=$(u32 "$vmlinuz" $((0x248)))
payload_length=$(u32 "$vmlinuz" $((0x24c)))
dd if="$vmlinuz" iflag=skip_bytes,count_bytes skip=$(((setup_sects + 1) * 512 + payload_offset)) \
  count=$((payload_length - 4)) status=none | lz4 -dc > amd64/vmlinux
zsmalloc=$(find amd64/lib/modules -name zsmalloc.ko)

# i386 and s390x: Debian's 6.1 builds for them have no BTF (CONFIG_DEBUG_INFO_BTF is not set), so pahole
# encodes it from the DWARF in the -dbg package's vmlinux, as the kernel build would (scripts/link-vmlinux.sh).
for a in i386 s390x; do
  pkg_var="${a}_pkg"
  ver_var="${a}_ver"
  mkdir -p "$a"
  dpkg-deb --fsys-tarfile "${!pkg_var}_${!ver_var}_${a}.deb" | tar -x -C "$a" --wildcards '*/boot/vmlinux-*'
  mv "$a"/usr/lib/debug/boot/vmlinux-* "$a/vmlinux.debug"
  pahole -J --btf_encode_detached="$a/vmlinux.btf" "$a/vmlinux.debug"
done

cat > plan.json <<EOF
{
  "kernels": [
    {
      "name": "debian-6.1.0-57-cloud-amd64",
      "release": "Linux 6.1.192 (Debian $amd64_ver, 6.1.0-57-cloud-amd64)",
      "arch": "x86_64",
      "package": "$amd64_pkg $amd64_ver amd64, sha256 $(sha256sum "${amd64_pkg}_${amd64_ver}_amd64.deb" | cut -d' ' -f1)",
      "btfFrom": "the .BTF section Debian's build put in vmlinux, taken from the bzImage in /boot",
      "btf": "amd64/vmlinux",
      "elf": "amd64/vmlinux",
      "elfHasBtf": true,
      "objcopy": "objcopy",
      "modules": [
        {
          "name": "zsmalloc",
          "file": "${zsmalloc}",
          "from": "${zsmalloc#amd64}, as Debian's build made it (its .BTF is split BTF on vmlinux)"
        }
      ]
    },
    {
      "name": "debian-6.1.0-57-686",
      "release": "Linux 6.1.192 (Debian $i386_ver, 6.1.0-57-686)",
      "arch": "i386",
      "package": "$i386_pkg $i386_ver i386, sha256 $(sha256sum "${i386_pkg}_${i386_ver}_i386.deb" | cut -d' ' -f1)",
      "btfFrom": "pahole $(pahole --version) -J --btf_encode_detached from the DWARF of the package's vmlinux",
      "btf": "i386/vmlinux.btf",
      "elf": "i386/vmlinux.debug",
      "elfHasBtf": false,
      "objcopy": "objcopy"
    },
    {
      "name": "debian-6.1.0-50-s390x",
      "release": "Linux 6.1.176 (Debian $s390x_ver, 6.1.0-50-s390x)",
      "arch": "s390x",
      "package": "$s390x_pkg $s390x_ver s390x, sha256 $(sha256sum "${s390x_pkg}_${s390x_ver}_s390x.deb" | cut -d' ' -f1)",
      "btfFrom": "pahole $(pahole --version) -J --btf_encode_detached from the DWARF of the package's vmlinux (big-endian BTF)",
      "btf": "s390x/vmlinux.btf",
      "elf": "s390x/vmlinux.debug",
      "elfHasBtf": false,
      "objcopy": "s390x-linux-gnu-objcopy"
    }
  ]
}
EOF
node "$here/make-fixtures.js" "$work" "$work/plan.json"
echo "fixtures written; downloads and intermediate files are in $work"
