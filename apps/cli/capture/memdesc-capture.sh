#!/bin/sh
# memdesc-capture.sh: copy what `memdesc survey` reads from this Linux machine into one .tar.gz, laid out as a
# root directory (proc/..., sys/...), for `memdesc survey --root FILE` or `memdesc fleet FILE...` on another
# machine. Nothing needs to be installed here: it runs with any POSIX sh (dash, bash, busybox) and uses only
# cat, dd, tar and gzip, with mkdir, mv, rm and date.
#
#   sudo sh memdesc-capture.sh -o "$(hostname).tar.gz" --label team=storage --label region=eu-west
#
# Options:
#   -o, --output FILE   the archive to write (required); it appears complete or not at all (written beside
#                       FILE in a private directory, then renamed over it)
#   --label KEY=VALUE   a label that travels with the capture (repeatable). KEY: a-z, 0-9 and _, starting with
#                       a letter, at most 64 characters; VALUE: at most 256 characters, no control characters
#   --no-counts         leave out /proc/kpagecount (mapcounts)
#   --cgroups           also copy /proc/kpagecgroup and the memory cgroup tree (paths and inode numbers), for
#                       `memdesc survey --by cgroup`
#   -h, --help          print this help
#
# /proc files report size 0, so tar cannot archive them where they are: each is copied first, with cat or dd,
# into a private staging directory. The page-map files are read in lockstep, 512 KiB (65,536 pages) of each
# at the same offset in turn, as `memdesc capture` reads them, so they describe the same moment. /proc/vmstat
# is copied again after the page map (memdesc/after/proc/vmstat): the difference is the churn while reading.
# The archive's memdesc/capture file says when, with which labels and in which format.
#
# Exit status: 0 written, 1 bad usage or not root, 2 a copy or the archive could not be written.

set -eu
format=1
chunk=524288
out=
labels=
counts=1
cgroups=0

usage() {
	printf 'usage: sh memdesc-capture.sh -o FILE [--label KEY=VALUE]... [--no-counts] [--cgroups]\n'
}
die() {
	printf 'memdesc-capture: %s\n' "$1" >&2
	if [ -n "${2:-}" ]; then printf 'hint: %s\n' "$2" >&2; fi
	exit "${3:-1}"
}
nl='
'

while [ $# -gt 0 ]; do
	case $1 in
	-o | --output)
		[ $# -ge 2 ] || die "$1 needs a file name" "-o host.tar.gz"
		out=$2
		shift 2
		;;
	--output=*)
		out=${1#--output=}
		shift
		;;
	--label | --label=*)
		if [ "$1" = --label ]; then
			[ $# -ge 2 ] || die "--label needs KEY=VALUE" "--label team=storage"
			kv=$2
			shift 2
		else
			kv=${1#--label=}
			shift
		fi
		case $kv in *=*) ;; *) die "--label $kv: expected KEY=VALUE" "--label team=storage" ;; esac
		key=${kv%%=*}
		value=${kv#*=}
		case $key in
		'' | [!a-z]* | *[!a-z0-9_]*)
			die "--label $key: a key is a-z, 0-9 and _, starting with a letter" "--label team=storage"
			;;
		esac
		[ ${#key} -le 64 ] || die "--label $key: a key has at most 64 characters"
		case $key in
		hostname | kernel_release | arch | memdesc_version | schema_version | design | use | what | instance | job)
			die "--label $key: reserved (memdesc's own metrics carry it)" "pick another name"
			;;
		esac
		[ ${#value} -le 256 ] || die "--label $key: a value has at most 256 characters"
		case $value in *[[:cntrl:]]*) die "--label $key: a value has no control characters (tab, newline, ...)" ;; esac
		case "$nl$labels" in *"${nl}label.$key="*) die "--label $key given twice" ;; esac
		labels="${labels}label.$key=$value$nl"
		;;
	--no-counts)
		counts=0
		shift
		;;
	--cgroups)
		cgroups=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		die "unknown option $1" "$(usage)"
		;;
	esac
done

[ -n "$out" ] || die "no output file" "-o host.tar.gz"
case $out in */) die "$out is a directory name" "give a file name, e.g. -o host.tar.gz" ;; esac
[ -d "$out" ] && die "$out is a directory" "give a file name, e.g. -o host.tar.gz"
case $out in
*/*) dir=${out%/*} ;;
*) dir=. ;;
esac
[ -n "$dir" ] || dir=/
[ -d "$dir" ] || die "directory $dir does not exist" "create it first, or write elsewhere with -o"

# Root only: the page map is mode 0400. Reading one word says more than the mode bits do (a container may
# have /proc/kpageflags and refuse it).
[ -e /proc/kpageflags ] || die "/proc/kpageflags does not exist" \
	"this is not Linux, or a kernel or container without CONFIG_PROC_PAGE_MONITOR"
dd if=/proc/kpageflags of=/dev/null bs=8 count=1 2>/dev/null ||
	die "cannot read /proc/kpageflags: it is readable by root only" "run it as root: sudo sh memdesc-capture.sh -o FILE"

# The staging directory: beside the output (so the archive is renamed, not copied, into place), private
# (umask 077), made with mkdir, which fails rather than follow anything already there.
umask 077
stage=$dir/.memdesc-capture.$$
mkdir "$stage" || die "cannot create a directory in $dir" "write elsewhere with -o" 2
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
root=$stage/root
mkdir -p "$root/proc/sys/kernel" "$root/proc/sys/vm" "$root/proc/self" "$root/memdesc/after/proc"

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# copy SRC [DEST]: a small file, whole. A file that cannot be read (absent on this kernel, root only) is left
# out: the survey names it as not there, as it would on the machine itself.
copy() {
	dest=$root${2:-$1}
	mkdir -p "${dest%/*}"
	cat "$1" >"$dest" 2>/dev/null || rm -f "$dest"
}

for f in iomem sys/kernel/osrelease sys/kernel/arch sys/kernel/hostname vmstat meminfo zoneinfo buddyinfo \
	slabinfo sys/vm/hugetlb_optimize_vmemmap; do
	copy "/proc/$f"
done
for d in /sys/kernel/mm/hugepages/hugepages-*kB; do
	[ -d "$d" ] || continue
	for f in nr_hugepages free_hugepages resv_hugepages surplus_hugepages; do copy "$d/$f"; done
done
for d in /sys/kernel/mm/transparent_hugepage/hugepages-*kB/stats; do
	[ -d "$d" ] || continue
	for f in nr_anon nr_anon_partially_mapped; do
		if [ -r "$d/$f" ]; then copy "$d/$f"; fi
	done
done

# The memory cgroup tree: the cgroup mounts of the mount table (no other line), and each directory of the
# memory hierarchy with its inode number, which /proc/kpagecgroup gives per page. The number comes from the
# kernel's fdinfo of the directory opened on descriptor 9 (`ino:`), read by the shell itself.
inodes=$root/memdesc/inodes
cgroup_dir() {
	mkdir -p "$root$1"
	# `command`: a directory that cannot be opened is skipped, where a failed `exec` would end the script.
	command exec 9<"$1" 2>/dev/null || return 0
	ino=
	while IFS=': 	' read -r k v; do [ "$k" = ino ] && ino=$v; done </proc/self/fdinfo/9
	exec 9<&-
	[ -n "$ino" ] && printf '%s\t%s\n' "$ino" "$1" >>"$inodes"
}
if [ "$cgroups" = 1 ]; then
	: >"$root/proc/self/mountinfo"
	: >"$inodes"
	memory=
	while IFS= read -r line; do
		case $line in
		*" - cgroup2 "* | *" - cgroup "*) printf '%s\n' "$line" >>"$root/proc/self/mountinfo" ;;
		*) continue ;;
		esac
		# id parent major:minor root MOUNTPOINT options ... - fstype source superoptions (no globbing: a path
		# may hold a *)
		set -f
		set -- $line
		set +f
		mp=$5
		shift 6
		while [ $# -gt 0 ] && [ "$1" != - ]; do shift; done
		[ $# -ge 4 ] || continue
		case "$2 ,$4," in
		"cgroup "*,memory,*) memory=$mp ;;
		"cgroup2 "*)
			copy "$mp/cgroup.controllers"
			if [ -z "$memory" ] && [ -r "$mp/cgroup.controllers" ]; then
				case " $(cat "$mp/cgroup.controllers") " in *" memory "*) memory=$mp ;; esac
			fi
			;;
		esac
	done </proc/self/mountinfo
	if [ -n "$memory" ]; then
		cgroup_dir "$memory"
		# Level by level: the directories at depth 1 (MOUNT/*/), 2 (MOUNT/*/*/), ... as far as the survey walks.
		# IFS is only a newline here, so a mount point with a space stays one word.
		old_ifs=$IFS
		IFS=$nl
		pattern=$memory
		depth=0
		while [ $depth -lt 64 ]; do
			pattern=$pattern/*
			found=0
			for d in $pattern/; do
				if [ -d "$d" ]; then
					found=1
					cgroup_dir "${d%/}"
				fi
			done
			[ $found = 1 ] || break
			depth=$((depth + 1))
		done
		IFS=$old_ifs
	fi
fi

# Read while the kernel is walking its free lists, just before the page map, as the survey reads it.
copy /proc/pagetypeinfo

# The page map, in lockstep: chunk i of kpageflags, then chunk i of the others at the same offset, until
# kpageflags ends (the kernel ends it at max_pfn rounded up to a memory section). dd says on stderr how many
# whole and partial blocks it copied: `0+0 records in` is the end.
files=kpageflags
[ "$counts" = 1 ] && files="$files kpagecount"
[ "$cgroups" = 1 ] && files="$files kpagecgroup"
for f in $files; do
	: >"$root/proc/$f"
	[ -r "/proc/$f" ] || die "cannot read /proc/$f" "leave it out (--no-counts), or run as root" 2
done
records() {
	dd if="/proc/$1" of="$root/proc/$1" bs=$chunk skip="$2" seek="$2" count=1 conv=notrunc 2>"$stage/dd.err" ||
		die "reading /proc/$1 at offset $(($2 * chunk)) failed: $(cat "$stage/dd.err")" "run it again" 2
	# `N+M records in`: N whole blocks, M partial; other lines (GNU dd's "cannot skip" at the end) are not it.
	got=
	while read -r n what _; do
		[ "$what" = records ] && [ -z "$got" ] && got=$n
	done <"$stage/dd.err"
	[ -n "$got" ] || die "dd said nothing of /proc/$1 at offset $(($2 * chunk)): $(cat "$stage/dd.err")" "" 2
}
i=0
while :; do
	records kpageflags $i
	flags=$got
	[ "$flags" = 0+0 ] && break
	for f in $files; do
		[ "$f" = kpageflags ] && continue
		records "$f" $i
		[ "$got" = "$flags" ] ||
			die "/proc/$f gave $got blocks at offset $((i * chunk)) where /proc/kpageflags gave $flags" \
				"memory was hot-plugged while reading: run it again" 2
	done
	i=$((i + 1))
done

copy /proc/vmstat /memdesc/after/proc/vmstat
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
	printf 'format=%s\n' "$format"
	printf 'tool=memdesc-capture.sh\n'
	printf 'started=%s\n' "$started"
	printf 'finished=%s\n' "$finished"
	printf 'page-map=%s\n' "$files"
	printf '%s' "$labels"
} >"$root/memdesc/capture"

# Small files first, page maps last: a reader finds everything else before it reaches the page map.
(
	cd "$root"
	set -- memdesc proc/sys proc/self
	for f in proc/* sys; do
		case $f in proc/sys | proc/self | proc/kpage*) ;; *) if [ -e "$f" ]; then set -- "$@" "$f"; fi ;; esac
	done
	for f in $files; do set -- "$@" "proc/$f"; done
	tar -cf ../capture.tar "$@"
) || die "tar could not write the archive in $dir" "check the space left there, or write elsewhere with -o" 2
gzip -n "$stage/capture.tar" || die "gzip could not compress the archive in $dir" \
	"check the space left there, or write elsewhere with -o" 2
mv -f "$stage/capture.tar.gz" "$out" || die "cannot rename the archive to $out" "write elsewhere with -o" 2
printf 'memdesc-capture: wrote %s (%s to %s)\n' "$out" "$started" "$finished" >&2
