#!/usr/bin/env bats
# dist.bats - what `make cross` gives: dist/conmon-VERSION-linux-ARCH for
# amd64, arm64, armhf and riscv64, fully static against musl, and
# dist/SHA256SUMS; the same bytes from any checkout of the same commit.
#
# The first tests look at this checkout's dist/ (tests/run-all runs make
# cross before them); the last builds two fresh clones of HEAD in
# directories of different names and depths and compares them.

load ../helpers

ARCHES="amd64 arm64 armhf riscv64"

setup() {
	T=$BATS_TEST_TMPDIR
	DIST=$REPO_DIR/dist
	VERSION=$(grep -h 'define CONMON_VERSION "' "$REPO_DIR"/*.h "$REPO_DIR"/*.c | head -n 1 | cut -d'"' -f2)
	[ -s "$DIST/SHA256SUMS" ] || {
		echo "no $DIST/SHA256SUMS (run make cross)" >&2
		return 1
	}
}

# machine ARCH: what readelf -h says of that architecture's binaries.
machine() {
	case $1 in
	amd64) echo 'Advanced Micro Devices X86-64' ;;
	arm64) echo AArch64 ;;
	armhf) echo ARM ;;
	riscv64) echo RISC-V ;;
	esac
}

@test "cross: one binary per architecture, each for its machine, static, stripped, no build id" {
	local arch f elf
	for arch in $ARCHES; do
		f=$DIST/conmon-$VERSION-linux-$arch
		[ -f "$f" ] || { echo "missing $f" >&2; return 1; }
		elf=$(readelf -hlSW "$f")
		assert_contains "$elf" "Type:                              EXEC (Executable file)" "$arch ELF header"
		assert_contains "$elf" "Machine:                           $(machine "$arch")" "$arch ELF header"
		# Static: no program interpreter, no dynamic section.
		if grep -w -q -e INTERP -e DYNAMIC <<<"$elf"; then
			echo "$f is dynamically linked:" >&2
			grep -w -e INTERP -e DYNAMIC <<<"$elf" >&2
			return 1
		fi
		# Stripped and without a build id (which would differ by path).
		if grep -q -e '\.symtab' -e '\.note\.gnu\.build-id' -e '\.debug_' <<<"$elf"; then
			echo "$f has a symbol table, a build id or debug information" >&2
			return 1
		fi
	done
	# armhf is ARMv7 with the hard-float ABI; riscv64 the double-float ABI.
	assert_contains "$(readelf -h "$DIST/conmon-$VERSION-linux-armhf")" "hard-float ABI" "armhf flags"
	assert_contains "$(readelf -A "$DIST/conmon-$VERSION-linux-armhf")" "Tag_CPU_arch: v7" "armhf attributes"
	assert_contains "$(readelf -h "$DIST/conmon-$VERSION-linux-riscv64")" "double-float ABI" "riscv64 flags"
}

@test "cross: SHA256SUMS names exactly the four binaries, and they match it" {
	local want=
	for arch in $ARCHES; do
		want="$want conmon-$VERSION-linux-$arch"
	done
	assert_eq "$(awk '{ printf " %s", $2 }' "$DIST/SHA256SUMS")" "$want" "names in SHA256SUMS"
	(cd "$DIST" && sha256sum --check --strict SHA256SUMS)
}

@test "cross: each binary answers --version with this version and commit (amd64 natively, the others under qemu-user)" {
	local arch out commit
	commit=$(git -C "$REPO_DIR" rev-parse --short=12 HEAD)
	for arch in $ARCHES; do
		if [ "$arch" = amd64 ]; then
			out=$("$DIST/conmon-$VERSION-linux-$arch" --version)
		else
			out=$("$(readlink -f "$("$REPO_DIR/build/cross-toolchain" qemu "$arch")")" \
				"$DIST/conmon-$VERSION-linux-$arch" --version)
		fi
		assert_contains "$out" "conmon version $VERSION" "$arch --version"
		assert_contains "$out" "commit: $commit" "$arch --version"
	done
}

@test "cross: no path of the checkout or of the build in any binary" {
	local f
	for f in "$DIST"/conmon-*; do
		for s in "$REPO_DIR" /.build/ /build/ /usr/lib/ /usr/include/; do
			if grep -q -a -F "$s" "$f"; then
				echo "$f holds '$s'" >&2
				return 1
			fi
		done
	done
}

# cross_clone DIR: a fresh clone of this checkout's HEAD in DIR.
cross_clone() {
	git clone -q "$REPO_DIR" "$1"
	git -C "$1" checkout -q --detach "$(git -C "$REPO_DIR" rev-parse HEAD)"
}

@test "cross: two fresh clones in different directories give byte-identical binaries and SHA256SUMS; ./conmon is left alone" {
	local a=$T/a/conmon b=$T/second-checkout/of/the/same/commit f
	cross_clone "$a"
	cross_clone "$b"
	# The first clone reuses this checkout's riscv64 musl; the second
	# builds its own from Debian's source, in another directory, so the
	# musl build is shown not to depend on where it happens either.
	make -C "$a" -s conmon
	cp "$a/conmon" "$T/conmon.before"
	make -C "$a" -s cross MUSL_CACHE="$REPO_DIR/.build/musl" >"$T/a.out" 2>&1 || {
		cat "$T/a.out" >&2
		return 1
	}
	make -C "$b" -s cross >"$T/b.out" 2>&1 || {
		cat "$T/b.out" >&2
		return 1
	}
	[ -e "$b/.build/musl/musl-"*-riscv64/.complete ]
	cat "$a/dist/SHA256SUMS" >&2
	assert_eq "$(cat "$b/dist/SHA256SUMS")" "$(cat "$a/dist/SHA256SUMS")" "SHA256SUMS of the two clones"
	for f in "$a"/dist/conmon-*; do
		cmp "$f" "$b/dist/${f##*/}"
	done
	# make cross built no ./conmon: the host binary is the one of make.
	cmp "$T/conmon.before" "$a/conmon"
	# And a plain make and make cross's amd64 build are one build.
	cmp "$a/conmon" "$a/dist/conmon-$VERSION-linux-amd64"
	# This checkout's dist/, when built from exactly HEAD (as in CI: not
	# -dirty, not an older commit), is the same too.
	local built
	built=$("$DIST/conmon-$VERSION-linux-amd64" --version | sed -n 's/^commit: //p')
	if [ "$built" = "$(git -C "$REPO_DIR" rev-parse --short=12 HEAD)" ]; then
		assert_eq "$(cat "$DIST/SHA256SUMS")" "$(cat "$a/dist/SHA256SUMS")" "SHA256SUMS of this checkout and of the clones"
	else
		echo "# this checkout's dist/ is of commit $built, not HEAD: not compared" >&3
	fi
}
