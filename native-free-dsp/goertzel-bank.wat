;; The DTMF detector's inner loop in WebAssembly SIMD (f64x2): samples into the history, each
;; sub-block's energy, the eight Goertzel filters over each 51-sample sub-block, each bin's DFT
;; value and the 102-sample window value. It computes exactly what the TypeScript kernel in
;; goertzel-bank.ts and dtmf-detector.ts computes, in the same order of IEEE double operations
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
;;   8192  staging: i16[1024], the samples rx() takes in
;;  12288  i32[32]: per window slot, 1 when its strongest row and column bins both reach the
;;         window minimum power (the detector's first test), else 0
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
  ;; sub-block the samples complete goes through subBlock into its slots, and its window through
;; the power test. Returns how many.
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
              (call $loudEnough (i32.add (i32.const 20480) (i32.shl (i32.and (local.get $slot) (i32.const 31)) (i32.const 7)))))
            (local.set $done (i32.add (local.get $done) (i32.const 1)))
            (local.set $subPos (i32.const 0))
            (local.set $energy (i64.const 0))))
        (br $segments)))
    (i64.store (i32.const 4608) (local.get $energy))
    (local.get $done))

  ;; take(src, dst, count): copies count samples from staging byte offset src to history byte
  ;; offset dst (no wrap inside) and returns the sum of their squares (exact: each square fits
  ;; an i32, the sum an i64). Eight samples at a time, then one at a time.
  (func $take (param $src i32) (param $dst i32) (param $count i32) (result i64)
    (local $v v128) (local $sum v128) (local $x i32) (local $tail i64)
    (block $tail8
      (loop $eights
        (br_if $tail8 (i32.lt_u (local.get $count) (i32.const 8)))
        (local.set $v (v128.load offset=8192 (local.get $src)))
        (v128.store (local.get $dst) (local.get $v))
        ;; Squares of the low and high four samples as exact i32 (at most 2^30), summed as i64.
        (local.set $sum (i64x2.add (local.get $sum)
          (i64x2.extend_low_i32x4_u (i32x4.extmul_low_i16x8_s (local.get $v) (local.get $v)))))
        (local.set $sum (i64x2.add (local.get $sum)
          (i64x2.extend_high_i32x4_u (i32x4.extmul_low_i16x8_s (local.get $v) (local.get $v)))))
        (local.set $sum (i64x2.add (local.get $sum)
          (i64x2.extend_low_i32x4_u (i32x4.extmul_high_i16x8_s (local.get $v) (local.get $v)))))
        (local.set $sum (i64x2.add (local.get $sum)
          (i64x2.extend_high_i32x4_u (i32x4.extmul_high_i16x8_s (local.get $v) (local.get $v)))))
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

  ;; 1 when the strongest low-group bin and the strongest high-group bin of the window in slot
  ;; $win both have |W|^2 = re^2 + im^2 >= the window minimum power.
  (func $loudEnough (param $win i32) (result i32)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local.set $p0 (f64x2.add (f64x2.mul (v128.load (local.get $win)) (v128.load (local.get $win)))
                              (f64x2.mul (v128.load offset=64 (local.get $win)) (v128.load offset=64 (local.get $win)))))
    (local.set $p1 (f64x2.add (f64x2.mul (v128.load offset=16 (local.get $win)) (v128.load offset=16 (local.get $win)))
                              (f64x2.mul (v128.load offset=80 (local.get $win)) (v128.load offset=80 (local.get $win)))))
    (local.set $p2 (f64x2.add (f64x2.mul (v128.load offset=32 (local.get $win)) (v128.load offset=32 (local.get $win)))
                              (f64x2.mul (v128.load offset=96 (local.get $win)) (v128.load offset=96 (local.get $win)))))
    (local.set $p3 (f64x2.add (f64x2.mul (v128.load offset=48 (local.get $win)) (v128.load offset=48 (local.get $win)))
                              (f64x2.mul (v128.load offset=112 (local.get $win)) (v128.load offset=112 (local.get $win)))))
    ;; Powers are never NaN and never -0, so pmax (a < b ? b : a) is the maximum.
    (local.set $p0 (f64x2.pmax (local.get $p0) (local.get $p1)))
    (local.set $p2 (f64x2.pmax (local.get $p2) (local.get $p3)))
    (local.set $p1 (f64x2.splat (f64.load (i32.const 4624))))
    (i32.and
      (v128.any_true (f64x2.ge (local.get $p0) (local.get $p1)))
      (v128.any_true (f64x2.ge (local.get $p2) (local.get $p1)))))

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
