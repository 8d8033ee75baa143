"""A command line for your mini-GPT: python -m phase3.generate.

    python -m phase3.generate --checkpoint shakespeare.pt --prompt "ROMEO:" --max-tokens 300 \\
        --temperature 0.8 --top-p 0.95 --stop "JULIET:" --seed 1 --stream

Write main(argv): parse and validate the options with argparse (a bad value is a usage error,
exit code 2), load the checkpoint with your capstone_minigpt.load_checkpoint (a missing file
is one clear line on stderr and exit code 1, never a traceback), then sample with your
capstone_minigpt.stream_sample and print. The docstring of main fixes every detail the tests
check: the options and their ranges, how --seed seeds the sampling, where generation stops,
and exactly what goes to stdout, with and without --stream.

Try it on the checkpoint of your capstone run. The tests build a tiny checkpoint with your
capstone_minigpt functions, so finish that module first.
"""

from __future__ import annotations

import argparse  # noqa: F401
import sys  # noqa: F401

import torch  # noqa: F401

from phase3.capstone_minigpt import decode, encode, load_checkpoint, stream_sample  # noqa: F401

TEMPERATURE_RANGE = (0.1, 2.0)


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
    raise NotImplementedError("phase3.generate.main")


if __name__ == "__main__":
    raise SystemExit(main())
