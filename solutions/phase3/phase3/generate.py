"""Generate text from a mini-GPT checkpoint on the command line: python -m phase3.generate.

    python -m phase3.generate --checkpoint shakespeare.pt --prompt "ROMEO:" --max-tokens 300 \\
        --temperature 0.8 --top-p 0.95 --stop "JULIET:" --seed 1 --stream

A thin layer over phase3.capstone_minigpt (load_checkpoint, encode, decode, stream_sample),
in the spirit of nanoGPT's sample.py and llama.cpp's command line: argparse validates every
option up front (exit code 2, as Unix tools do for usage errors), a missing checkpoint is one
line on stderr and exit code 1, sampling is reproducible with --seed, and --stream prints
characters as they are drawn. Stop sequences end generation as soon as one appears; while
streaming, characters that might be the start of a stop sequence are held back until the
next ones decide, so that streamed and unstreamed output are the same text (the OpenAI and
Hugging Face text-generation servers do the same).
"""

from __future__ import annotations

import argparse
import sys

import torch

from phase3.capstone_minigpt import decode, encode, load_checkpoint, stream_sample

TEMPERATURE_RANGE = (0.1, 2.0)


def _ranged_float(low: float, high: float, low_inclusive: bool = True):  # noqa: ANN202
    """An argparse type: a float in [low, high] (or (low, high] when low is exclusive)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        above = value >= low if low_inclusive else value > low
        if not (above and value <= high):  # also rejects nan
            bracket = "[" if low_inclusive else "("
            raise argparse.ArgumentTypeError(f"{value} is not in {bracket}{low}, {high}]")
        return value

    return parse


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not >= 1")
    return value


def _non_empty(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m phase3.generate",
        description="Sample text from a checkpoint written by phase3.capstone_minigpt.")
    parser.add_argument("--checkpoint", required=True, metavar="PATH",
                        help="a file written by capstone_minigpt.save_checkpoint")
    parser.add_argument("--prompt", type=_non_empty, default="\n",
                        help="the text to continue (default: a newline)")
    parser.add_argument("--max-tokens", type=_positive_int, default=200, metavar="N",
                        help="generate at most N characters (default 200)")
    parser.add_argument("--temperature", type=_ranged_float(*TEMPERATURE_RANGE), default=1.0,
                        help="softmax temperature, 0.1 to 2.0 (default 1.0)")
    parser.add_argument("--top-k", type=_positive_int, default=None, metavar="K",
                        help="sample among the K most likely characters only")
    parser.add_argument("--top-p", type=_ranged_float(0.0, 1.0, low_inclusive=False),
                        default=None, metavar="P", help="nucleus sampling, 0 < P <= 1")
    parser.add_argument("--stop", type=_non_empty, action="append", default=[], metavar="TEXT",
                        help="stop before this text (repeatable)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the sampling generator (default: a random seed)")
    parser.add_argument("--stream", action="store_true",
                        help="print characters as they are generated")
    return parser


def _earliest_stop(text: str, stops: list[str]) -> int | None:
    """The index of the earliest occurrence of any stop sequence in text, or None."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def _held_back(text: str, stops: list[str]) -> int:
    """How many characters at the end of text could still begin a stop sequence."""
    longest = 0
    for stop in stops:
        for n in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:n]):
                longest = n
                break
    return longest


def main(argv: list[str] | None = None) -> int:
    """Sample text from a capstone_minigpt checkpoint and print it.

    Options (argv, or sys.argv[1:] when None):
        --checkpoint PATH   required: a file written by capstone_minigpt.save_checkpoint.
        --prompt TEXT       the text to continue, default "\\n"; not empty, and every
                            character must be in the checkpoint's vocabulary.
        --max-tokens N      generate N characters at most; an int >= 1, default 200.
        --temperature T     a float in [0.1, 2.0], default 1.0.
        --top-k K           an int >= 1, default none (no top-k filter).
        --top-p P           a float with 0 < P <= 1, default none (no nucleus filter).
        --stop TEXT         a non-empty stop sequence; repeatable.
        --seed S            an int; default none (a random seed).
        --stream            print each character as soon as it is final, flushing stdout.

    What it does: model, config, vocab = capstone_minigpt.load_checkpoint(PATH); the prompt
    is encoded as a (1, T) batch; the characters come from capstone_minigpt.stream_sample(
    model, prompt, N, temperature, top_k, top_p, generator) with generator =
    torch.Generator().manual_seed(S) (so a seed always gives the same text), decoded one by
    one. Generation ends after N characters, or as soon as the generated text (not the
    prompt) contains one of the stop sequences; the output is then the generated text up to,
    not including, the earliest occurrence of any stop sequence.

    Output: stdout gets the output text (without the prompt), then one newline, and nothing
    else. With --stream the same text is written piece by piece while the model is still
    generating: a character is written as soon as it can no longer be part of a stop
    sequence (a tail that could begin one is held back until the next characters decide).

    Errors: an invalid option (a value out of range, a missing --checkpoint, a prompt with a
    character outside the vocabulary) is an argparse error: a usage message on stderr and
    SystemExit(2). A checkpoint that does not exist or cannot be read: one line on stderr
    naming the path, no traceback, and return 1.

    Returns:
        0 on success, 1 when the checkpoint cannot be loaded.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        model, _config, vocab = load_checkpoint(args.checkpoint)
    except FileNotFoundError:
        print(f"error: checkpoint not found: {args.checkpoint}", file=sys.stderr)
        return 1
    except Exception as err:  # a corrupt or foreign file: say so, no traceback
        print(f"error: cannot read checkpoint {args.checkpoint}: {type(err).__name__}: {err}",
              file=sys.stderr)
        return 1
    unknown = sorted(set(args.prompt) - set(vocab))
    if unknown:
        parser.error(f"the prompt has characters that are not in the checkpoint's vocabulary: "
                     f"{''.join(unknown)!r}")

    generator = torch.Generator()
    if args.seed is None:
        generator.seed()  # a fresh, non-deterministic seed
    else:
        generator.manual_seed(args.seed)
    prompt = encode(args.prompt, vocab)[None]  # (1, T)
    tokens = stream_sample(model, prompt, args.max_tokens, args.temperature, args.top_k,
                           args.top_p, generator)

    text = ""  # everything generated so far
    written = 0  # how much of it is already on stdout (streaming)
    for token in tokens:
        text += decode(token, vocab)
        cut = _earliest_stop(text, args.stop)
        if cut is not None:
            text = text[:cut]
            break
        if args.stream:
            final = len(text) - _held_back(text, args.stop)
            if final > written:
                sys.stdout.write(text[written:final])
                sys.stdout.flush()
                written = final
    sys.stdout.write(text[written:] + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
