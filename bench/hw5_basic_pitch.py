"""hw5 benchmark: Basic Pitch / NMP side by side on the embedded test splits; writes bench/hw5_basic_pitch.md.

Rows (note F with offsets, Fno without, multipitch frame accuracy; per piece, averaged):

* (a) the released Basic Pitch through onnxruntime (``course.released.OriginalBasicPitch``),
  with the homework's decoder and with the original's full decoder (inferred onsets + melodia);
* (b) the course's layers (as released) with the released weights (``course.released.load_released``);
* (c) the course's model trained from scratch with the profile's sizes
  (``course.nmp_training.sizes``): the paper's layers and the "as released" layers;
* (d) on piano, hw4's reference Onsets and Frames (its saved ``cpu`` checkpoint), scored by
  ``course.transcription.evaluate`` with hw4's decoder;
* ablations with the same budget: one harmonic (no stacking), no Yp (contour) supervision;
* robustness: clean-trained vs augmentation-trained paper model on a degraded copy of the
  multi-instrument test split (reverb, then white noise at 10 dB SNR).

Test splits: the embedded multi-instrument set (``data/<profile>/multi``) and the embedded
piano set (``data/<profile>/piano``, read at 16 kHz as hw4 does, resampled to 22050 Hz by
``course.hw5_basic_pitch.evaluation.evaluate``). Every trained row is cached under ``build/hw5_bench/<profile>/``
(checkpoint and JSON scores): a rerun only recomputes what is missing (``--rerun`` redoes all).

    python -m bench.hw5_basic_pitch --profile cpu
"""
from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import pathlib
import platform

from bench.common import REPO, fmt, load_average

RESULTS = REPO / "bench" / "hw5_basic_pitch.md"
HW4_CHECKPOINT = REPO / "autograder" / "reference" / "hw4_onsets_and_frames_cpu.pt"
DEGRADE_SNR_DB = 10.0
DEGRADE_ROOM = dict(room_size=0.7, wet_level=0.35, dry_level=0.65)


def degrade(audio, rng):
    """The robustness test copy: a reverberant room, then white noise at 10 dB SNR."""
    from autograder.reference.hw5_basic_pitch.augment import add_noise
    from course.hw5_basic_pitch.augment import reverb

    return add_noise(reverb(audio, **DEGRADE_ROOM), DEGRADE_SNR_DB, rng)


def augmentation(probability: float):
    """Every augmentation of the homework, each applied to a window with ``probability``."""
    from autograder.reference.hw5_basic_pitch.augment import add_noise, mix, transpose
    from course.hw5_basic_pitch import augment

    return augment.batch_augmentation([
        augment.transpose_transform(transpose, 2),
        augment.random_eq(),
        augment.random_reverb(),
        augment.mix_transform(mix),
        augment.noise_transform(add_noise, (10.0, 30.0)),
    ], probability)


RUNS = {
    # name: (paper_block, n_harmonics, supervise_contour, augmented, steps field)
    "paper": (True, 8, True, False, "steps"),
    "released_arch": (False, 8, True, False, "steps"),
    "one_harmonic": (True, 1, True, False, "ablation_steps"),
    "no_contour": (True, 8, False, False, "ablation_steps"),
    "augmented": (True, 8, True, True, "ablation_steps"),
}


def trained(name: str, profile: str, sizes, data, cache: pathlib.Path, rerun: bool):
    """Train one run (or load its checkpoint); returns (transcriber, info)."""
    import torch

    from autograder.reference.hw5_basic_pitch.layers import NMPLayers
    from course.hw5_basic_pitch.model import NMPFrontEnd, Transcriber
    from course.hw5_basic_pitch.training import train
    from course.training import count_parameters, load_checkpoint, save_checkpoint, seed_everything

    paper_block, harmonics, contour, augmented, steps_field = RUNS[name]
    steps = getattr(sizes, steps_field)
    seed_everything(0)
    model = Transcriber(NMPLayers(harmonics, paper_block), NMPFrontEnd(harmonics))
    path = cache / f"{name}.pt"
    if path.exists() and not rerun:
        info = load_checkpoint(model, path)
        return model.eval(), info
    load_before = load_average()
    history = train(model, data["train"], steps, sizes.batch_size, sizes.lr, sizes.onset_positive_weight,
                    supervise_contour=contour,
                    augment=augmentation(sizes.augment_probability) if augmented else None,
                    validation_set=data["validation"], n_validation_windows=sizes.n_validation_windows,
                    validate_every=sizes.validation_interval, clip_grad_norm=sizes.clip_grad_norm,
                    hop_frames=sizes.hop_frames, features=data.get(("features", harmonics)), desc=name)
    # the cached log-CQTs depend on the front end's bin count (its harmonics), not on the layers
    data.setdefault(("features", harmonics), history["features"])
    info = {"seconds": round(history["seconds"], 1), "steps": steps, "batch_size": sizes.batch_size,
            "parameters": count_parameters(model), "load_before": load_before, "load_after": load_average(),
            "train_loss_end": history["train_loss"][-1], "val_loss": history.get("val_loss", [])}
    save_checkpoint(model, path, **{k: v for k, v in info.items() if not isinstance(v, list)})
    (cache / f"{name}.history.json").write_text(json.dumps(info))
    print(f"[{name}] trained {steps} steps in {info['seconds']} s (load {load_before} -> {info['load_after']})",
          flush=True)
    return model.eval(), info


def scored(key: str, cache: pathlib.Path, rerun: bool, compute):
    from course.training import cached_result

    result = cached_result(cache / f"{key}.json", compute, rerun)
    print(f"[{key}] F {result['note_with_offsets_f1']:.3f}  Fno {result['note_f1']:.3f}  "
          f"Acc {result.get('frame_accuracy', float('nan')):.3f}", flush=True)
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu", choices=("ci", "cpu", "gpu"))
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--rerun", action="store_true", help="retrain and rescore everything")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    import torch

    from autograder.reference.hw5_basic_pitch.layers import NMPLayers
    from autograder.reference.hw5_basic_pitch.notes import notes_from_posteriorgrams
    from course.hw5_basic_pitch.evaluation import evaluate, transformed_pieces
    from course.hw5_basic_pitch.model import Transcriber
    from course.hw5_basic_pitch.released import OriginalBasicPitch, load_released
    from course.hw5_basic_pitch.training import sizes
    from course.paths import dataset_dir
    from data_scripts.maestro import MaestroDataset
    from data_scripts.multi_dataset import MultiInstrumentDataset

    if args.threads:
        torch.set_num_threads(args.threads)
    S = sizes(args.profile)
    cache = REPO / "build" / "hw5_bench" / args.profile
    cache.mkdir(parents=True, exist_ok=True)
    multi_root, piano_root = dataset_dir("multi", args.profile), dataset_dir("piano", args.profile)
    data = {split: MultiInstrumentDataset(multi_root, split) for split in ("train", "validation", "test")}
    piano = MaestroDataset(piano_root, "test", sample_rate=16000)
    degraded = transformed_pieces(data["test"], degrade, seed=0)
    decode = notes_from_posteriorgrams
    full_decode = functools.partial(notes_from_posteriorgrams, infer_onsets=True, melodia_trick=True)
    sets = {"multi": data["test"], "piano": piano}
    rows = []  # (row label, set, result, note)

    def row(label, set_name, model, key, decoder=decode, rerun=args.rerun):
        result = scored(f"{key}_{set_name}", cache, rerun, lambda: evaluate(model, sets[set_name] if set_name != "degraded" else degraded, decoder))
        rows.append((label, set_name, result))
        return result

    original = OriginalBasicPitch()
    released = load_released(Transcriber(NMPLayers(paper_block=False)))
    for set_name in ("multi", "piano"):
        row("(a) released Basic Pitch, onnxruntime", set_name, original, "a_original")
        row("(a') released Basic Pitch, original decoder (inferred onsets + melodia)", set_name, original,
            "a_original_full", full_decode)
        row("(b) course layers + released weights", set_name, released, "b_released")

    infos = {}
    for name, label in (("paper", "(c) trained from scratch, paper layers"),
                        ("released_arch", "(c) trained from scratch, as-released layers")):
        model, infos[name] = trained(name, args.profile, S, data, cache, args.rerun)
        for set_name in ("multi", "piano"):
            row(label, set_name, model, f"c_{name}", rerun=args.rerun)

    # (d) hw4's Onsets and Frames on piano
    hw4 = None
    if HW4_CHECKPOINT.exists():
        from autograder.reference.hw4_transcription.models import OnsetsAndFrames, decode_notes
        from course.hw4_transcription.evaluation import evaluate as evaluate_hw4
        from course.hw4_transcription.training import load_transcriber

        def hw4_scores():
            model, _ = load_transcriber(HW4_CHECKPOINT, OnsetsAndFrames)
            r = evaluate_hw4(model, piano, decode_notes)
            return {"note_f1": r["note_f1"], "note_with_offsets_f1": r["note_with_offsets_f1"],
                    "frame_f1": r["frame_f1"], "frame_accuracy": float("nan")}

        hw4 = scored("d_onsets_and_frames_piano", cache, args.rerun, hw4_scores)
        rows.append(("(d) hw4 Onsets and Frames (reference, cpu checkpoint)", "piano", hw4))

    ablations = {}
    for name in ("one_harmonic", "no_contour"):
        model, infos[name] = trained(name, args.profile, S, data, cache, args.rerun)
        ablations[name] = scored(f"ablation_{name}_multi", cache, args.rerun,
                                 lambda m=model: evaluate(m, data["test"], decode))

    robust = {}
    for name in ("paper", "augmented"):
        model, infos[name] = trained(name, args.profile, S, data, cache, False if name == "paper" else args.rerun)
        robust[name] = {
            "clean": scored(f"robust_{name}_clean", cache, args.rerun, lambda m=model: evaluate(m, data["test"], decode)),
            "degraded": scored(f"robust_{name}_degraded", cache, args.rerun, lambda m=model: evaluate(m, degraded, decode)),
        }
    robust["original"] = {
        "clean": scored("robust_original_clean", cache, args.rerun, lambda: evaluate(original, data["test"], decode)),
        "degraded": scored("robust_original_degraded", cache, args.rerun, lambda: evaluate(original, degraded, decode)),
    }

    write_table(pathlib.Path(args.out), args.profile, S, rows, infos, ablations, robust, sets)


def write_table(out: pathlib.Path, profile: str, S, rows, infos, ablations, robust, sets) -> None:
    import dataclasses

    lines = [
        f"# hw5 Basic Pitch / NMP benchmark (`python -m bench.hw5_basic_pitch --profile {profile}`)",
        "",
        f"Measured {datetime.date.today().isoformat()} on {platform.machine()} with {os.cpu_count()} cores "
        f"(load average now {load_average()}; machine shared with other jobs). Sizes: `{dataclasses.asdict(S)}`.",
        f"Test splits: multi-instrument {len(sets['multi'])} renditions, piano {len(sets['piano'])} renditions.",
        "Scores per piece, averaged: F = note F1 with offsets, Fno = note F1 onsets only (mir_eval, 50 ms), "
        "Acc = multipitch frame accuracy (mir_eval) of the decoded notes on the label frame grid. Decoder: "
        "`autograder.reference.hw5_basic_pitch.notes.notes_from_posteriorgrams` defaults (onset 0.5, frame 0.3, > 11 frames) "
        "unless stated.",
        "",
        "| model | split | F | Fno | Acc |",
        "|---|---|---|---|---|",
    ]
    for label, set_name, r in rows:
        lines.append(f"| {label} | {set_name} | {fmt(r['note_with_offsets_f1'])} | {fmt(r['note_f1'])} | "
                     f"{fmt(r.get('frame_accuracy'))} |")
    lines += ["", "(d): Acc not computed (hw4's evaluate scores frames, not the decoded notes); its frame F1 "
              "(thresholded frame probabilities) is in `build/hw5_bench/<profile>/d_onsets_and_frames_piano.json`.", ""]
    lines += ["## Training runs", "", "| run | steps x batch | seconds | parameters | load before -> after |",
              "|---|---|---|---|---|"]
    for name, info in infos.items():
        lines.append(f"| {name} | {info.get('steps')} x {info.get('batch_size')} | {info.get('seconds')} | "
                     f"{info.get('parameters')} | {info.get('load_before')} -> {info.get('load_after')} |")
    lines += ["", "## Ablations (multi-instrument test split, same budget as the main model)", "",
              "| model | F | Fno | Acc |", "|---|---|---|---|"]
    main = robust["paper"]["clean"]
    lines.append(f"| paper layers, 8 harmonics, Yp supervised | {fmt(main['note_with_offsets_f1'])} | "
                 f"{fmt(main['note_f1'])} | {fmt(main['frame_accuracy'])} |")
    for name, label in (("one_harmonic", "without harmonic stacking (1 harmonic)"),
                        ("no_contour", "without Yp supervision")):
        r = ablations[name]
        lines.append(f"| {label} | {fmt(r['note_with_offsets_f1'])} | {fmt(r['note_f1'])} | {fmt(r['frame_accuracy'])} |")
    lines += ["", f"## Robustness (multi-instrument test split; degraded: reverb {DEGRADE_ROOM}, then white "
              f"noise at {DEGRADE_SNR_DB:g} dB SNR)", "",
              "| model | clean F | clean Fno | degraded F | degraded Fno | degraded Acc |", "|---|---|---|---|---|---|"]
    for name, label in (("original", "released Basic Pitch"), ("paper", "paper layers, clean training"),
                        ("augmented", "paper layers, augmented training")):
        c, d = robust[name]["clean"], robust[name]["degraded"]
        lines.append(f"| {label} | {fmt(c['note_with_offsets_f1'])} | {fmt(c['note_f1'])} | "
                     f"{fmt(d['note_with_offsets_f1'])} | {fmt(d['note_f1'])} | {fmt(d['frame_accuracy'])} |")
    lines.append("")
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
