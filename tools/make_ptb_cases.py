#!/usr/bin/env python3
"""Re-tokenises decap-eval's PTB test cases with the real Stanford tokenizer, as pycocoevalcap runs it.

The cases (decap-eval/src/test/resources/dev/decap/eval/ptb_cases.jsonl, one {"in", "out"} per line): the first 78
were written by hand for the rules that matter in captions, the other 300 are random strings of caption words,
punctuation, quotes, symbols and Unicode (a seeded fuzzer, kept as inputs only); "out" is what Stanford CoreNLP 3.4.1's PTBTokenizer prints with
-preserveLines -lowerCase when all inputs are given as one file, one per line (as pycocoevalcap does). CoreNLP is
not a dependency of the project; fetch its jar with Maven when regenerating:

  ./mvnw -q dependency:copy -Dartifact=edu.stanford.nlp:stanford-corenlp:3.4.1 -DoutputDirectory=/tmp/corenlp
  /usr/bin/python3 tools/make_ptb_cases.py /tmp/corenlp/stanford-corenlp-3.4.1.jar
"""
import json
import os
import subprocess
import sys
import tempfile

CASES = os.path.join(os.path.dirname(__file__), '..', 'decap-eval', 'src', 'test', 'resources', 'dev', 'decap',
                     'eval', 'ptb_cases.jsonl')


def main():
    jar = sys.argv[1]
    with open(CASES, encoding='utf-8') as f:
        inputs = [json.loads(line)['in'] for line in f if line.strip()]
    with tempfile.NamedTemporaryFile('w', encoding='utf-8', suffix='.txt', delete=False) as tmp:
        tmp.write('\n'.join(inputs))
    try:
        out = subprocess.run(['java', '-cp', jar, 'edu.stanford.nlp.process.PTBTokenizer', '-preserveLines',
                              '-lowerCase', tmp.name], capture_output=True, check=True).stdout.decode('utf-8')
    finally:
        os.remove(tmp.name)
    lines = out.split('\n')
    assert len(lines) == len(inputs), f'expected {len(inputs)} lines, found {len(lines)}'
    with open(CASES, 'w', encoding='utf-8') as f:
        for text, line in zip(inputs, lines):
            f.write(json.dumps({'in': text, 'out': line.rstrip()}) + '\n')


if __name__ == '__main__':
    main()
