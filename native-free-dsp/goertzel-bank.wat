;; The DTMF detector's per-sub-block kernel in WebAssembly SIMD (f64x2): the eight Goertzel
;; filters over one 51-sample sub-block of the sample history, then each bin's DFT value and the
;; 102-sample window value. It computes exactly what the TypeScript kernel in
;; dtmf-detector.ts computes, in the same order of IEEE double operations (no fused
;; multiply-add), so the two give bit-identical values and the detector identical events.
;;
;; Rebuild: node scripts/make-goertzel-bank.mjs (wat2wasm from Debian's wabt), which rewrites
;; goertzel-bank.wasm and goertzel-bank-wasm.ts (the bytes the detector loads).
;;
;; Memory (one 64 KiB page, laid out by dtmf-detector.ts; byte offsets):
;;     0  history: i16[1024], the last 1024 samples by absolute index modulo 1024
;;  2048  coef[8]: 2 cos(w) per bin            2112  finARe[8]   2176  finAIm[8]
;;  2240  finBRe[8]   2304  finBIm[8]          2368  rotRe[8]    2432  rotIm[8]
;;  2560  five slots of 128 bytes, each re[8] then im[8]: the sub-block and window values;
;;        the detector rotates which slot is which and passes the offsets.
;; Bins 0-3 are the low group, 4-7 the high group; a v128 holds two neighbouring bins.
(module
  (memory (export "memory") 1)

  ;; subBlock(start, quiet, x0, x1, win): the sub-block of samples start .. start+50 (absolute
  ;; indexes) into slot x0 (its DFT value per bin, sum x[n] e^{-jwn}), and the window over the
  ;; sub-blocks in slots x1 (older) and x0 into slot win: W = X1 + e^{-jwS} X0. A quiet
  ;; sub-block (quiet != 0) is not filtered: its values are zero.
  (func (export "subBlock") (param $start i32) (param $quiet i32) (param $x0 i32) (param $x1 i32) (param $win i32)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    ;; a: s[n-1], b: s[n-2] of each filter pair; after the loop a = s[S-1], b = s[S-2].
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $x v128) (local $y v128) (local $t v128)
    (local $j i32)
    (if (i32.eqz (local.get $quiet))
      (then
        (local.set $c0 (v128.load offset=2048 (i32.const 0)))
        (local.set $c1 (v128.load offset=2048 (i32.const 16)))
        (local.set $c2 (v128.load offset=2048 (i32.const 32)))
        (local.set $c3 (v128.load offset=2048 (i32.const 48)))
        ;; 25 pairs of samples, then the 51st. Each step is (x - s[n-2]) + c s[n-1], as in
        ;; TypeScript; two samples per turn so that no state is copied: the new state takes
        ;; the place of s[n-2].
        (local.set $j (i32.const 0))
        (loop $pairs
          (local.set $x (f64x2.splat (f64.convert_i32_s (i32.load16_s
            (i32.shl (i32.and (i32.add (local.get $start) (local.get $j)) (i32.const 1023)) (i32.const 1))))))
          (local.set $y (f64x2.splat (f64.convert_i32_s (i32.load16_s
            (i32.shl (i32.and (i32.add (local.get $start) (i32.add (local.get $j) (i32.const 1))) (i32.const 1023)) (i32.const 1))))))
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
          (i32.shl (i32.and (i32.add (local.get $start) (i32.const 50)) (i32.const 1023)) (i32.const 1))))))
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

  (func $bins (param $k i32) (param $quiet i32) (param $s1 v128) (param $s2 v128) (param $x0 i32) (param $x1 i32) (param $win i32)
    (local $xr v128) (local $xi v128)
    (local.set $xr (f64x2.add
      (f64x2.mul (v128.load offset=2112 (local.get $k)) (local.get $s1))
      (f64x2.mul (v128.load offset=2240 (local.get $k)) (local.get $s2))))
    (local.set $xi (f64x2.add
      (f64x2.mul (v128.load offset=2176 (local.get $k)) (local.get $s1))
      (f64x2.mul (v128.load offset=2304 (local.get $k)) (local.get $s2))))
    ;; A quiet sub-block's values are +0 exactly, as in TypeScript (A 0 + B 0 may be -0).
    (if (local.get $quiet)
      (then (local.set $xr (v128.const i64x2 0 0)) (local.set $xi (v128.const i64x2 0 0))))
    (v128.store (i32.add (local.get $x0) (local.get $k)) (local.get $xr))
    (v128.store offset=64 (i32.add (local.get $x0) (local.get $k)) (local.get $xi))
    (v128.store (i32.add (local.get $win) (local.get $k))
      (f64x2.sub
        (f64x2.add (v128.load (i32.add (local.get $x1) (local.get $k)))
                   (f64x2.mul (v128.load offset=2368 (local.get $k)) (local.get $xr)))
        (f64x2.mul (v128.load offset=2432 (local.get $k)) (local.get $xi))))
    (v128.store offset=64 (i32.add (local.get $win) (local.get $k))
      (f64x2.add
        (f64x2.add (v128.load offset=64 (i32.add (local.get $x1) (local.get $k)))
                   (f64x2.mul (v128.load offset=2368 (local.get $k)) (local.get $xi)))
        (f64x2.mul (v128.load offset=2432 (local.get $k)) (local.get $xr)))))
)
