;; The resampler's kernel for the ratios whose table has a row per phase (44.1 or 48 kHz to 16 kHz
;; and most others), in WebAssembly with 128-bit SIMD: the polyphase FIR of
;; src/main/engine/resampler.ts, about four times as fast as the same loops in JavaScript. Built
;; into resampler-kernel-wasm.ts by scripts/build-resampler-kernel.mjs; test/engine/resampler.test.ts
;; checks that the two agree.
;;
;; Every output is the dot product of taps input samples with one row of the table, summed in one
;; fixed order whichever function computes it: four lanes over the taps in steps of four, the
;; lanes added pairwise, then the last taps % 4 one by one. So the output does not depend on how
;; the input was chunked. Addresses are in bytes, into the memory the resampler hands over.
(module
  (import "env" "memory" (memory 1))

  (func $sumLanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; One output: the samples from $x times the row at $h.
  (func $dot (param $x i32) (param $h i32) (param $taps i32) (result f32)
    (local $j i32) (local $end i32) (local $lanes v128) (local $sum f32)
    (local.set $end (i32.shl (i32.and (local.get $taps) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $lanes
          (f32x4.add (local.get $lanes)
            (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $j))) (v128.load (i32.add (local.get $h) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
    (local.set $sum (call $sumLanes (local.get $lanes)))
    (local.set $end (i32.shl (local.get $taps) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $sum
          (f32.add (local.get $sum)
            (f32.mul (f32.load (i32.add (local.get $x) (local.get $j))) (f32.load (i32.add (local.get $h) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
    (local.get $sum))

  ;; 8 outputs of one phase, whose samples start $stride bytes apart, each as $dot computes it
  ;; but sharing each load of the row; stored $outStride bytes apart from $out.
  (func $dot8 (param $x i32) (param $stride i32) (param $h i32) (param $taps i32) (param $out i32) (param $outStride i32)
    (local $j i32) (local $end i32) (local $row v128) (local $tap f32)
    (local $x0 i32) (local $lanes0 v128) (local $sum0 f32)
    (local $x1 i32) (local $lanes1 v128) (local $sum1 f32)
    (local $x2 i32) (local $lanes2 v128) (local $sum2 f32)
    (local $x3 i32) (local $lanes3 v128) (local $sum3 f32)
    (local $x4 i32) (local $lanes4 v128) (local $sum4 f32)
    (local $x5 i32) (local $lanes5 v128) (local $sum5 f32)
    (local $x6 i32) (local $lanes6 v128) (local $sum6 f32)
    (local $x7 i32) (local $lanes7 v128) (local $sum7 f32)
    (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 0))))
    (local.set $x1 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 1))))
    (local.set $x2 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 2))))
    (local.set $x3 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 3))))
    (local.set $x4 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 4))))
    (local.set $x5 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 5))))
    (local.set $x6 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 6))))
    (local.set $x7 (i32.add (local.get $x) (i32.mul (local.get $stride) (i32.const 7))))
    (local.set $end (i32.shl (i32.and (local.get $taps) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $row (v128.load (i32.add (local.get $h) (local.get $j))))
        (local.set $lanes0 (f32x4.add (local.get $lanes0) (f32x4.mul (v128.load (i32.add (local.get $x0) (local.get $j))) (local.get $row))))
        (local.set $lanes1 (f32x4.add (local.get $lanes1) (f32x4.mul (v128.load (i32.add (local.get $x1) (local.get $j))) (local.get $row))))
        (local.set $lanes2 (f32x4.add (local.get $lanes2) (f32x4.mul (v128.load (i32.add (local.get $x2) (local.get $j))) (local.get $row))))
        (local.set $lanes3 (f32x4.add (local.get $lanes3) (f32x4.mul (v128.load (i32.add (local.get $x3) (local.get $j))) (local.get $row))))
        (local.set $lanes4 (f32x4.add (local.get $lanes4) (f32x4.mul (v128.load (i32.add (local.get $x4) (local.get $j))) (local.get $row))))
        (local.set $lanes5 (f32x4.add (local.get $lanes5) (f32x4.mul (v128.load (i32.add (local.get $x5) (local.get $j))) (local.get $row))))
        (local.set $lanes6 (f32x4.add (local.get $lanes6) (f32x4.mul (v128.load (i32.add (local.get $x6) (local.get $j))) (local.get $row))))
        (local.set $lanes7 (f32x4.add (local.get $lanes7) (f32x4.mul (v128.load (i32.add (local.get $x7) (local.get $j))) (local.get $row))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $next)))
    (local.set $sum0 (call $sumLanes (local.get $lanes0)))
    (local.set $sum1 (call $sumLanes (local.get $lanes1)))
    (local.set $sum2 (call $sumLanes (local.get $lanes2)))
    (local.set $sum3 (call $sumLanes (local.get $lanes3)))
    (local.set $sum4 (call $sumLanes (local.get $lanes4)))
    (local.set $sum5 (call $sumLanes (local.get $lanes5)))
    (local.set $sum6 (call $sumLanes (local.get $lanes6)))
    (local.set $sum7 (call $sumLanes (local.get $lanes7)))
    (local.set $end (i32.shl (local.get $taps) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $tap (f32.load (i32.add (local.get $h) (local.get $j))))
        (local.set $sum0 (f32.add (local.get $sum0) (f32.mul (f32.load (i32.add (local.get $x0) (local.get $j))) (local.get $tap))))
        (local.set $sum1 (f32.add (local.get $sum1) (f32.mul (f32.load (i32.add (local.get $x1) (local.get $j))) (local.get $tap))))
        (local.set $sum2 (f32.add (local.get $sum2) (f32.mul (f32.load (i32.add (local.get $x2) (local.get $j))) (local.get $tap))))
        (local.set $sum3 (f32.add (local.get $sum3) (f32.mul (f32.load (i32.add (local.get $x3) (local.get $j))) (local.get $tap))))
        (local.set $sum4 (f32.add (local.get $sum4) (f32.mul (f32.load (i32.add (local.get $x4) (local.get $j))) (local.get $tap))))
        (local.set $sum5 (f32.add (local.get $sum5) (f32.mul (f32.load (i32.add (local.get $x5) (local.get $j))) (local.get $tap))))
        (local.set $sum6 (f32.add (local.get $sum6) (f32.mul (f32.load (i32.add (local.get $x6) (local.get $j))) (local.get $tap))))
        (local.set $sum7 (f32.add (local.get $sum7) (f32.mul (f32.load (i32.add (local.get $x7) (local.get $j))) (local.get $tap))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 0))) (local.get $sum0))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 1))) (local.get $sum1))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 2))) (local.get $sum2))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 3))) (local.get $sum3))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 4))) (local.get $sum4))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 5))) (local.get $sum5))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 6))) (local.get $sum6))
    (f32.store (i32.add (local.get $out) (i32.mul (local.get $outStride) (i32.const 7))) (local.get $sum7)))

  ;; $count outputs from the samples at $buf (the first output's window starts $pos samples in,
  ;; $phase / $up of a sample later), to $out. Each run of 8 x $up outputs is computed phase by
  ;; phase, 8 outputs at a time; the rest one by one.
  (func (export "convolve")
    (param $buf i32) (param $table i32) (param $taps i32) (param $up i32) (param $down i32)
    (param $pos i32) (param $phase i32) (param $count i32) (param $out i32)
    (local $k i32) (local $step i32) (local $rest i32) (local $i i32) (local $p i32) (local $ph i32) (local $t i32)
    (local.set $step (i32.div_u (local.get $down) (local.get $up)))
    (local.set $rest (i32.rem_u (local.get $down) (local.get $up)))
    (block $groupsDone
      (loop $groups
        (br_if $groupsDone (i32.gt_u (i32.add (local.get $k) (i32.mul (i32.const 8) (local.get $up))) (local.get $count)))
        ;; Outputs k + i + m * up (m = 0..7) all have phase ph and start m * down apart.
        (local.set $i (i32.const 0))
        (local.set $p (local.get $pos))
        (local.set $ph (local.get $phase))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $up)))
            (call $dot8
              (i32.add (local.get $buf) (i32.shl (local.get $p) (i32.const 2)))
              (i32.shl (local.get $down) (i32.const 2))
              (i32.add (local.get $table) (i32.shl (i32.mul (local.get $ph) (local.get $taps)) (i32.const 2)))
              (local.get $taps)
              (i32.add (local.get $out) (i32.shl (i32.add (local.get $k) (local.get $i)) (i32.const 2)))
              (i32.shl (local.get $up) (i32.const 2)))
            (local.set $p (i32.add (local.get $p) (local.get $step)))
            (local.set $ph (i32.add (local.get $ph) (local.get $rest)))
            (if (i32.ge_u (local.get $ph) (local.get $up))
              (then
                (local.set $ph (i32.sub (local.get $ph) (local.get $up)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows)))
        (local.set $pos (i32.add (local.get $pos) (i32.mul (i32.const 8) (local.get $down))))
        (local.set $k (i32.add (local.get $k) (i32.mul (i32.const 8) (local.get $up))))
        (br $groups)))
    ;; $t: the time of output k after sample $pos, in 1 / $up of a sample.
    (local.set $t (local.get $phase))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $count)))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
          (call $dot
            (i32.add (local.get $buf) (i32.shl (i32.add (local.get $pos) (i32.div_u (local.get $t) (local.get $up))) (i32.const 2)))
            (i32.add (local.get $table) (i32.shl (i32.mul (i32.rem_u (local.get $t) (local.get $up)) (local.get $taps)) (i32.const 2)))
            (local.get $taps)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (local.set $t (i32.add (local.get $t) (local.get $down)))
        (br $next)))))
