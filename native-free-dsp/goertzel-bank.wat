;; The DTMF detector's inner loop in WebAssembly SIMD (f64x2): samples into the history, each
;; sub-block's energy, the eight Goertzel filters over each 51-sample sub-block, each bin's DFT
;; value and the 102-sample window value. It computes exactly what the TypeScript kernel in
;; goertzel-bank.ts and the detector's dtmf-*.ts compute, in the same order of IEEE double operations
;; (no fused multiply-add; energies are exact integers either way), so the two give
;; bit-identical values and the detector identical events.
;;
;; Rebuild: node scripts/make-goertzel-bank.mjs (wat2wasm from Debian's wabt), which rewrites
;; goertzel-bank.wasm and goertzel-bank-wasm.ts (the bytes the detector loads).
;;
;; Memory (one 64 KiB page, laid out by goertzel-bank.ts; byte offsets):
;;      0  history: i16[2048], the last 2048 samples by absolute index modulo 2048
;;   4096  coef[8]: 2 cos(w) per bin            4160  finARe[8]   4224  finAIm[8]
;;   4288  finBRe[8]   4352  finBIm[8]          4416  rotRe[8]    4480  rotIm[8]
;;   4608  i64: energy (sum of x^2) of the sub-block in progress
;;   4616  f64: quiet energy: a sub-block with less is not filtered (its values are +0)
;;   4624  f64: window minimum power: a window whose strongest row or column bin has less
;;         (|W|^2) holds no digit
;;   4632  f64: largest and (4640) smallest row/column power ratio (twist) of a window
;;   4648  f64: relative peak ratio      4656  f64: stationarity ratio (power)
;;   4672  f64[8]: scratch, the powers of the window being classified
;;   4736  f64[8]: span coefficients 2 cos(w) (7 used); 4800 f64[8]: their s[L-1]; 4864: s[L-2]
;;  10240  leakRe[64], 10752 leakIm[64]: leakage of bin a into bin b over a window, at [8a + b]
;;  11264  subLeakRe[64], 11776 subLeakIm[64]: the same over one sub-block
;;   8192  staging: i16[1024], the samples rx() takes in
;;  12288  i32[32]: per window slot, the digit (0-15, row * 4 + column) the window holds by
;;         every per-window test but the frequency deviations, or -1 (see $classify)
;;  16384  32 sub-block slots and then 32 window slots of 128 bytes, each re[8] then im[8]; the
;;         values of sub-block number b (counted from the first) are in slot b mod 32.
;; Bins 0-3 are the low group, 4-7 the high group; a v128 holds two neighbouring bins.
(module
  (memory (export "memory") 1)

  ;; subBlock(start, quiet, x0, x1, win): the sub-block of samples start .. start+50 (absolute
  ;; indexes) into slot x0 (its DFT value per bin, sum x[n] e^{-jwn}), and the window over the
  ;; sub-blocks in slots x1 (older) and x0 into slot win: W = X1 + e^{-jwS} X0. A quiet
  ;; sub-block (quiet != 0) is not filtered: its values are zero.

  ;; rx(n, subPos, blocks, start): takes staging[0 .. n) (n <= 1024) into the history at absolute
  ;; indexes start .. start+n-1 (modulo 2^32: only the low 11 bits matter); subPos samples of the
  ;; sub-block in progress came before, and `blocks` sub-blocks were completed before it. Each
  ;; sub-block the samples complete goes through subBlock into its slots, and its window (from
;; the second sub-block on) through $classify. Returns how many.
  (func (export "rx") (param $n i32) (param $subPos i32) (param $blocks i32) (param $start i32) (result i32)
    (local $i i32) (local $len i32) (local $ring i32) (local $first i32) (local $energy i64) (local $done i32) (local $slot i32)
    (local.set $energy (i64.load (i32.const 4608)))
    (block $end
      (loop $segments
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        ;; The samples up to the end of the sub-block in progress (or of the input), into the
        ;; history ring in at most two pieces (it may wrap).
        (local.set $len (i32.sub (i32.const 51) (local.get $subPos)))
        (if (i32.gt_u (local.get $len) (i32.sub (local.get $n) (local.get $i)))
          (then (local.set $len (i32.sub (local.get $n) (local.get $i)))))
        (local.set $ring (i32.and (i32.add (local.get $start) (local.get $i)) (i32.const 2047)))
        (local.set $first (i32.sub (i32.const 2048) (local.get $ring)))
        (if (i32.gt_u (local.get $first) (local.get $len)) (then (local.set $first (local.get $len))))
        (local.set $energy (i64.add (local.get $energy)
          (call $take (i32.shl (local.get $i) (i32.const 1)) (i32.shl (local.get $ring) (i32.const 1)) (local.get $first))))
        (local.set $energy (i64.add (local.get $energy)
          (call $take (i32.shl (i32.add (local.get $i) (local.get $first)) (i32.const 1)) (i32.const 0) (i32.sub (local.get $len) (local.get $first)))))
        (local.set $i (i32.add (local.get $i) (local.get $len)))
        (local.set $subPos (i32.add (local.get $subPos) (local.get $len)))
        (if (i32.eq (local.get $subPos) (i32.const 51))
          (then
            (local.set $slot (i32.add (local.get $blocks) (local.get $done)))
            (call $subBlock
              (i32.sub (i32.add (local.get $start) (local.get $i)) (i32.const 51))
              (f64.lt (f64.convert_i64_s (local.get $energy)) (f64.load (i32.const 4616)))
              (i32.add (i32.const 16384) (i32.shl (i32.and (local.get $slot) (i32.const 31)) (i32.const 7)))
              (i32.add (i32.const 16384) (i32.shl (i32.and (i32.sub (local.get $slot) (i32.const 1)) (i32.const 31)) (i32.const 7)))
              (i32.add (i32.const 20480) (i32.shl (i32.and (local.get $slot) (i32.const 31)) (i32.const 7))))
            (i32.store offset=12288 (i32.shl (i32.and (local.get $slot) (i32.const 31)) (i32.const 2))
              (if (result i32) (i32.eqz (local.get $slot))
                (then (i32.const -1))
                (else (call $classify
                  (i32.add (i32.const 20480) (i32.shl (i32.and (local.get $slot) (i32.const 31)) (i32.const 7)))
                  (i32.add (i32.const 16384) (i32.shl (i32.and (local.get $slot) (i32.const 31)) (i32.const 7)))
                  (i32.add (i32.const 16384) (i32.shl (i32.and (i32.sub (local.get $slot) (i32.const 1)) (i32.const 31)) (i32.const 7)))))))
            (local.set $done (i32.add (local.get $done) (i32.const 1)))
            (local.set $subPos (i32.const 0))
            (local.set $energy (i64.const 0))))
        (br $segments)))
    (i64.store (i32.const 4608) (local.get $energy))
    (local.get $done))

;; span(start, length): spanDfts of dtmf-span.ts, its loop: the seven Goertzel recurrences
  ;; with the span coefficients over history samples ToInt32(start + n) mod 2048 for n = 0, 1, ...
  ;; while n < length (start and length may be fractional, as in TypeScript), their final states
  ;; into the span slots, and the sum of the squares as returned value.
  (func (export "span") (param $start f64) (param $length f64) (result f64)
    (local $n i32) (local $x f64) (local $xv v128) (local $energy f64) (local $t v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $c0 (v128.load offset=4736 (i32.const 0)))
    (local.set $c1 (v128.load offset=4752 (i32.const 0)))
    (local.set $c2 (v128.load offset=4768 (i32.const 0)))
    (local.set $c3 (v128.load offset=4784 (i32.const 0)))
    (block $done
      (loop $samples
        (br_if $done (i32.eqz (f64.lt (f64.convert_i32_u (local.get $n)) (local.get $length))))
        (local.set $x (f64.convert_i32_s (i32.load16_s (i32.shl
          (i32.and (i32.wrap_i64 (i64.trunc_f64_s (f64.add (local.get $start) (f64.convert_i32_u (local.get $n))))) (i32.const 2047))
          (i32.const 1)))))
        (local.set $energy (f64.add (local.get $energy) (f64.mul (local.get $x) (local.get $x))))
        (local.set $xv (f64x2.splat (local.get $x)))
        (local.set $t (f64x2.add (f64x2.sub (local.get $xv) (local.get $b0)) (f64x2.mul (local.get $c0) (local.get $a0))))
        (local.set $b0 (local.get $a0)) (local.set $a0 (local.get $t))
        (local.set $t (f64x2.add (f64x2.sub (local.get $xv) (local.get $b1)) (f64x2.mul (local.get $c1) (local.get $a1))))
        (local.set $b1 (local.get $a1)) (local.set $a1 (local.get $t))
        (local.set $t (f64x2.add (f64x2.sub (local.get $xv) (local.get $b2)) (f64x2.mul (local.get $c2) (local.get $a2))))
        (local.set $b2 (local.get $a2)) (local.set $a2 (local.get $t))
        (local.set $t (f64x2.add (f64x2.sub (local.get $xv) (local.get $b3)) (f64x2.mul (local.get $c3) (local.get $a3))))
        (local.set $b3 (local.get $a3)) (local.set $a3 (local.get $t))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $samples)))
    (v128.store offset=4800 (i32.const 0) (local.get $a0))
    (v128.store offset=4816 (i32.const 0) (local.get $a1))
    (v128.store offset=4832 (i32.const 0) (local.get $a2))
    (v128.store offset=4848 (i32.const 0) (local.get $a3))
    (v128.store offset=4864 (i32.const 0) (local.get $b0))
    (v128.store offset=4880 (i32.const 0) (local.get $b1))
    (v128.store offset=4896 (i32.const 0) (local.get $b2))
    (v128.store offset=4912 (i32.const 0) (local.get $b3))
    (local.get $energy))

  ;; take(src, dst, count): copies count samples from staging byte offset src to history byte
  ;; offset dst (no wrap inside) and returns the sum of their squares (exact: each square fits
  ;; an i32, the sum an i64). Eight samples at a time, then one at a time.
  (func $take (param $src i32) (param $dst i32) (param $count i32) (result i64)
    (local $v v128) (local $d v128) (local $sum v128) (local $x i32) (local $tail i64)
    (block $tail8
      (loop $eights
        (br_if $tail8 (i32.lt_u (local.get $count) (i32.const 8)))
        (local.set $v (v128.load offset=8192 (local.get $src)))
        (v128.store (local.get $dst) (local.get $v))
        ;; Sums of squares of neighbouring samples: at most 2 * 32768^2 = 2^31, which the signed
        ;; i32 lane wraps to -2^31 and an unsigned extension restores; summed as i64.
        (local.set $d (i32x4.dot_i16x8_s (local.get $v) (local.get $v)))
        (local.set $sum (i64x2.add (local.get $sum) (i64x2.extend_low_i32x4_u (local.get $d))))
        (local.set $sum (i64x2.add (local.get $sum) (i64x2.extend_high_i32x4_u (local.get $d))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $count (i32.sub (local.get $count) (i32.const 8)))
        (br $eights)))
    (block $done
      (loop $ones
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $x (i32.load16_s offset=8192 (local.get $src)))
        (i32.store16 (local.get $dst) (local.get $x))
        (local.set $tail (i64.add (local.get $tail) (i64.extend_i32_u (i32.mul (local.get $x) (local.get $x)))))
        (local.set $src (i32.add (local.get $src) (i32.const 2)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $ones)))
    (i64.add (local.get $tail)
      (i64.add (i64x2.extract_lane 0 (local.get $sum)) (i64x2.extract_lane 1 (local.get $sum)))))

  (func $subBlock (param $start i32) (param $quiet i32) (param $x0 i32) (param $x1 i32) (param $win i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    ;; a: s[n-1], b: s[n-2] of each filter pair; after the loop a = s[S-1], b = s[S-2].
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $x v128) (local $y v128) (local $t v128)
    (local $j i32)
    (if (i32.eqz (local.get $quiet))
      (then
        (local.set $c0 (v128.load offset=4096 (i32.const 0)))
        (local.set $c1 (v128.load offset=4096 (i32.const 16)))
        (local.set $c2 (v128.load offset=4096 (i32.const 32)))
        (local.set $c3 (v128.load offset=4096 (i32.const 48)))
        ;; 25 pairs of samples, then the 51st. Each step is (x - s[n-2]) + c s[n-1], as in
        ;; TypeScript; two samples per turn so that no state is copied: the new state takes
        ;; the place of s[n-2].
        (local.set $j (i32.const 0))
        (loop $pairs
          (local.set $x (f64x2.splat (f64.convert_i32_s (i32.load16_s
            (i32.shl (i32.and (i32.add (local.get $start) (local.get $j)) (i32.const 2047)) (i32.const 1))))))
          (local.set $y (f64x2.splat (f64.convert_i32_s (i32.load16_s
            (i32.shl (i32.and (i32.add (local.get $start) (i32.add (local.get $j) (i32.const 1))) (i32.const 2047)) (i32.const 1))))))
          (local.set $b0 (f64x2.add (f64x2.sub (local.get $x) (local.get $b0)) (f64x2.mul (local.get $c0) (local.get $a0))))
          (local.set $b1 (f64x2.add (f64x2.sub (local.get $x) (local.get $b1)) (f64x2.mul (local.get $c1) (local.get $a1))))
          (local.set $b2 (f64x2.add (f64x2.sub (local.get $x) (local.get $b2)) (f64x2.mul (local.get $c2) (local.get $a2))))
          (local.set $b3 (f64x2.add (f64x2.sub (local.get $x) (local.get $b3)) (f64x2.mul (local.get $c3) (local.get $a3))))
          (local.set $a0 (f64x2.add (f64x2.sub (local.get $y) (local.get $a0)) (f64x2.mul (local.get $c0) (local.get $b0))))
          (local.set $a1 (f64x2.add (f64x2.sub (local.get $y) (local.get $a1)) (f64x2.mul (local.get $c1) (local.get $b1))))
          (local.set $a2 (f64x2.add (f64x2.sub (local.get $y) (local.get $a2)) (f64x2.mul (local.get $c2) (local.get $b2))))
          (local.set $a3 (f64x2.add (f64x2.sub (local.get $y) (local.get $a3)) (f64x2.mul (local.get $c3) (local.get $b3))))
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (br_if $pairs (i32.lt_u (local.get $j) (i32.const 50))))
        (local.set $x (f64x2.splat (f64.convert_i32_s (i32.load16_s
          (i32.shl (i32.and (i32.add (local.get $start) (i32.const 50)) (i32.const 2047)) (i32.const 1))))))
        (local.set $t (f64x2.add (f64x2.sub (local.get $x) (local.get $b0)) (f64x2.mul (local.get $c0) (local.get $a0))))
        (local.set $b0 (local.get $a0)) (local.set $a0 (local.get $t))
        (local.set $t (f64x2.add (f64x2.sub (local.get $x) (local.get $b1)) (f64x2.mul (local.get $c1) (local.get $a1))))
        (local.set $b1 (local.get $a1)) (local.set $a1 (local.get $t))
        (local.set $t (f64x2.add (f64x2.sub (local.get $x) (local.get $b2)) (f64x2.mul (local.get $c2) (local.get $a2))))
        (local.set $b2 (local.get $a2)) (local.set $a2 (local.get $t))
        (local.set $t (f64x2.add (f64x2.sub (local.get $x) (local.get $b3)) (f64x2.mul (local.get $c3) (local.get $a3))))
        (local.set $b3 (local.get $a3)) (local.set $a3 (local.get $t))))
    ;; Per bin pair k (bytes 16 k): X0 = A s1 + B s2 (+0 when quiet), W = X1 + rot X0, with
    ;; the TypeScript kernel's association: re (Are s1 + Bre s2), im (Aim s1 + Bim s2);
    ;; Wre = (X1re + rotRe X0re) - rotIm X0im; Wim = (X1im + rotRe X0im) + rotIm X0re.
    (call $bins (i32.const 0) (local.get $quiet) (local.get $a0) (local.get $b0) (local.get $x0) (local.get $x1) (local.get $win))
    (call $bins (i32.const 16) (local.get $quiet) (local.get $a1) (local.get $b1) (local.get $x0) (local.get $x1) (local.get $win))
    (call $bins (i32.const 32) (local.get $quiet) (local.get $a2) (local.get $b2) (local.get $x0) (local.get $x1) (local.get $win))
    (call $bins (i32.const 48) (local.get $quiet) (local.get $a3) (local.get $b3) (local.get $x0) (local.get $x1) (local.get $win)))

  ;; classifyWindow of dtmf-window.ts up to its last test (the frequency deviations, which
  ;; need atan2): the digit (row * 4 + column - 4) the window in slot $win holds, or -1. Takes
  ;; the strongest row and column bins' leakage out of the window in place, as classifyWindow.
  ;; Scalar, in classifyWindow's order of operations.
  (func $classify (param $win i32) (param $x0 i32) (param $x1 i32) (result i32)
    (local $k i32) (local $p f64) (local $row i32) (local $col i32) (local $rowPower f64) (local $colPower f64)
    (local $twist f64) (local $newer f64) (local $older f64) (local $stat f64)
    (local.set $rowPower (f64.const -1))
    (local.set $colPower (f64.const -1))
    (local.set $col (i32.const 4))
    (call $powers (local.get $win))
    (local.set $k (i32.const 0))
    (loop $rows
      (local.set $p (f64.load offset=4672 (i32.shl (local.get $k) (i32.const 3))))
      (if (f64.gt (local.get $p) (local.get $rowPower)) (then (local.set $rowPower (local.get $p)) (local.set $row (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $k) (i32.const 4))))
    (loop $cols
      (local.set $p (f64.load offset=4672 (i32.shl (local.get $k) (i32.const 3))))
      (if (f64.gt (local.get $p) (local.get $colPower)) (then (local.set $colPower (local.get $p)) (local.set $col (local.get $k))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $cols (i32.lt_u (local.get $k) (i32.const 8))))
    (if (i32.or (f64.lt (local.get $rowPower) (f64.load (i32.const 4624))) (f64.lt (local.get $colPower) (f64.load (i32.const 4624))))
      (then (return (i32.const -1))))
    (call $removeLeakage (local.get $win) (local.get $row) (local.get $col))
    (call $powers (local.get $win))
    (local.set $rowPower (f64.load offset=4672 (i32.shl (local.get $row) (i32.const 3))))
    (local.set $colPower (f64.load offset=4672 (i32.shl (local.get $col) (i32.const 3))))
    (local.set $twist (f64.div (local.get $rowPower) (local.get $colPower)))
    (if (i32.or (f64.gt (local.get $twist) (f64.load (i32.const 4632))) (f64.lt (local.get $twist) (f64.load (i32.const 4640))))
      (then (return (i32.const -1))))
    (local.set $k (i32.const 0))
    (loop $peaks
      (if (i32.and (i32.ne (local.get $k) (local.get $row)) (i32.ne (local.get $k) (local.get $col)))
        (then
          (if (f64.gt
                (f64.mul (f64.load offset=4672 (i32.shl (local.get $k) (i32.const 3))) (f64.load (i32.const 4648)))
                (select (local.get $rowPower) (local.get $colPower) (i32.lt_u (local.get $k) (i32.const 4))))
            (then (return (i32.const -1))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $peaks (i32.lt_u (local.get $k) (i32.const 8))))
    (local.set $newer (call $pairMagnitude (local.get $x0) (local.get $row) (local.get $col)))
    (local.set $older (call $pairMagnitude (local.get $x1) (local.get $row) (local.get $col)))
    (local.set $stat (f64.load (i32.const 4656)))
    (if (i32.or
          (f64.gt (f64.mul (local.get $newer) (local.get $newer)) (f64.mul (f64.mul (local.get $older) (local.get $older)) (local.get $stat)))
          (f64.gt (f64.mul (local.get $older) (local.get $older)) (f64.mul (f64.mul (local.get $newer) (local.get $newer)) (local.get $stat))))
      (then (return (i32.const -1))))
    (i32.add (i32.shl (local.get $row) (i32.const 2)) (i32.sub (local.get $col) (i32.const 4))))

  ;; |X_k|^2 = re^2 + im^2 of every bin k of slot $s into the scratch powers, two bins at a time.
  (func $powers (param $s i32)
    (v128.store offset=4672 (i32.const 0) (f64x2.add
      (f64x2.mul (v128.load (local.get $s)) (v128.load (local.get $s)))
      (f64x2.mul (v128.load offset=64 (local.get $s)) (v128.load offset=64 (local.get $s)))))
    (v128.store offset=4688 (i32.const 0) (f64x2.add
      (f64x2.mul (v128.load offset=16 (local.get $s)) (v128.load offset=16 (local.get $s)))
      (f64x2.mul (v128.load offset=80 (local.get $s)) (v128.load offset=80 (local.get $s)))))
    (v128.store offset=4704 (i32.const 0) (f64x2.add
      (f64x2.mul (v128.load offset=32 (local.get $s)) (v128.load offset=32 (local.get $s)))
      (f64x2.mul (v128.load offset=96 (local.get $s)) (v128.load offset=96 (local.get $s)))))
    (v128.store offset=4720 (i32.const 0) (f64x2.add
      (f64x2.mul (v128.load offset=48 (local.get $s)) (v128.load offset=48 (local.get $s)))
      (f64x2.mul (v128.load offset=112 (local.get $s)) (v128.load offset=112 (local.get $s))))))

  ;; removeLeakage of dtmf-window.ts on the window in slot $win.
  (func $removeLeakage (param $win i32) (param $row i32) (param $col i32)
    (local $rowRe f64) (local $rowIm f64) (local $colRe f64) (local $colIm f64) (local $k i32) (local $at i32) (local $i i32)
    (local.set $rowRe (f64.load (i32.add (local.get $win) (i32.shl (local.get $row) (i32.const 3)))))
    (local.set $rowIm (f64.load offset=64 (i32.add (local.get $win) (i32.shl (local.get $row) (i32.const 3)))))
    (local.set $colRe (f64.load (i32.add (local.get $win) (i32.shl (local.get $col) (i32.const 3)))))
    (local.set $colIm (f64.load offset=64 (i32.add (local.get $win) (i32.shl (local.get $col) (i32.const 3)))))
    (loop $bins
      (local.set $at (i32.add (local.get $win) (i32.shl (local.get $k) (i32.const 3))))
      (if (i32.ne (local.get $k) (local.get $row))
        (then
          (local.set $i (i32.shl (i32.add (i32.shl (local.get $row) (i32.const 3)) (local.get $k)) (i32.const 3)))
          (f64.store (local.get $at) (f64.sub (f64.load (local.get $at))
            (f64.sub (f64.mul (local.get $rowRe) (f64.load offset=10240 (local.get $i))) (f64.mul (local.get $rowIm) (f64.load offset=10752 (local.get $i))))))
          (f64.store offset=64 (local.get $at) (f64.sub (f64.load offset=64 (local.get $at))
            (f64.add (f64.mul (local.get $rowRe) (f64.load offset=10752 (local.get $i))) (f64.mul (local.get $rowIm) (f64.load offset=10240 (local.get $i))))))))
      (if (i32.ne (local.get $k) (local.get $col))
        (then
          (local.set $i (i32.shl (i32.add (i32.shl (local.get $col) (i32.const 3)) (local.get $k)) (i32.const 3)))
          (f64.store (local.get $at) (f64.sub (f64.load (local.get $at))
            (f64.sub (f64.mul (local.get $colRe) (f64.load offset=10240 (local.get $i))) (f64.mul (local.get $colIm) (f64.load offset=10752 (local.get $i))))))
          (f64.store offset=64 (local.get $at) (f64.sub (f64.load offset=64 (local.get $at))
            (f64.add (f64.mul (local.get $colRe) (f64.load offset=10752 (local.get $i))) (f64.mul (local.get $colIm) (f64.load offset=10240 (local.get $i))))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $bins (i32.lt_u (local.get $k) (i32.const 8)))))

  ;; pairMagnitude of dtmf-bins.ts: |X_row| + |X_col| of the sub-block in slot $s, each
  ;; without the other's sub-block leakage.
  (func $pairMagnitude (param $s i32) (param $row i32) (param $col i32) (result f64)
    (local $i i32) (local $j i32) (local $rRe f64) (local $rIm f64) (local $cRe f64) (local $cIm f64)
    (local $a f64) (local $b f64)
    (local.set $i (i32.shl (i32.add (i32.shl (local.get $col) (i32.const 3)) (local.get $row)) (i32.const 3)))
    (local.set $j (i32.shl (i32.add (i32.shl (local.get $row) (i32.const 3)) (local.get $col)) (i32.const 3)))
    (local.set $rRe (f64.load (i32.add (local.get $s) (i32.shl (local.get $row) (i32.const 3)))))
    (local.set $rIm (f64.load offset=64 (i32.add (local.get $s) (i32.shl (local.get $row) (i32.const 3)))))
    (local.set $cRe (f64.load (i32.add (local.get $s) (i32.shl (local.get $col) (i32.const 3)))))
    (local.set $cIm (f64.load offset=64 (i32.add (local.get $s) (i32.shl (local.get $col) (i32.const 3)))))
    (local.set $a (f64.sub (local.get $rRe)
      (f64.sub (f64.mul (local.get $cRe) (f64.load offset=11264 (local.get $i))) (f64.mul (local.get $cIm) (f64.load offset=11776 (local.get $i))))))
    (local.set $b (f64.sub (local.get $rIm)
      (f64.add (f64.mul (local.get $cRe) (f64.load offset=11776 (local.get $i))) (f64.mul (local.get $cIm) (f64.load offset=11264 (local.get $i))))))
    (f64.add
      (f64.sqrt (f64.add (f64.mul (local.get $a) (local.get $a)) (f64.mul (local.get $b) (local.get $b))))
      (f64.sqrt (f64.add
        (f64.mul
          (local.tee $a (f64.sub (local.get $cRe)
            (f64.sub (f64.mul (local.get $rRe) (f64.load offset=11264 (local.get $j))) (f64.mul (local.get $rIm) (f64.load offset=11776 (local.get $j))))))
          (local.get $a))
        (f64.mul
          (local.tee $b (f64.sub (local.get $cIm)
            (f64.add (f64.mul (local.get $rRe) (f64.load offset=11776 (local.get $j))) (f64.mul (local.get $rIm) (f64.load offset=11264 (local.get $j))))))
          (local.get $b))))))

  (func $bins (param $k i32) (param $quiet i32) (param $s1 v128) (param $s2 v128) (param $x0 i32) (param $x1 i32) (param $win i32)
    (local $xr v128) (local $xi v128)
    (local.set $xr (f64x2.add
      (f64x2.mul (v128.load offset=4160 (local.get $k)) (local.get $s1))
      (f64x2.mul (v128.load offset=4288 (local.get $k)) (local.get $s2))))
    (local.set $xi (f64x2.add
      (f64x2.mul (v128.load offset=4224 (local.get $k)) (local.get $s1))
      (f64x2.mul (v128.load offset=4352 (local.get $k)) (local.get $s2))))
    ;; A quiet sub-block's values are +0 exactly, as in TypeScript (A 0 + B 0 may be -0).
    (if (local.get $quiet)
      (then (local.set $xr (v128.const i64x2 0 0)) (local.set $xi (v128.const i64x2 0 0))))
    (v128.store (i32.add (local.get $x0) (local.get $k)) (local.get $xr))
    (v128.store offset=64 (i32.add (local.get $x0) (local.get $k)) (local.get $xi))
    (v128.store (i32.add (local.get $win) (local.get $k))
      (f64x2.sub
        (f64x2.add (v128.load (i32.add (local.get $x1) (local.get $k)))
                   (f64x2.mul (v128.load offset=4416 (local.get $k)) (local.get $xr)))
        (f64x2.mul (v128.load offset=4480 (local.get $k)) (local.get $xi))))
    (v128.store offset=64 (i32.add (local.get $win) (local.get $k))
      (f64x2.add
        (f64x2.add (v128.load offset=64 (i32.add (local.get $x1) (local.get $k)))
                   (f64x2.mul (v128.load offset=4416 (local.get $k)) (local.get $xi)))
        (f64x2.mul (v128.load offset=4480 (local.get $k)) (local.get $xr)))))
)
