#!/usr/bin/python3
"""Offline trainer for the word classifier (Debian python3-torch; not used at run time).

  python3 scripts/speech/train_torch.py PREFIX OUT.json [--arch cnn|mlp] [--epochs N] [--seed N]

Reads PREFIX.x.f32 / PREFIX.y.u8 (scripts/speech/dump-features.ts) and writes the trained network
as float JSON, which scripts/speech/import-network.ts turns into a model file.

Architecture "cnn": two 1-D convolutions over the segment's 24 time steps (26 cepstra and deltas
per step, plus the log duration as a 27th channel), then two dense layers. A convolution is a
linear map, so it is exported as a dense layer (its Toeplitz matrix): the TypeScript classifier,
which runs dense ReLU layers, runs it unchanged.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

STEPS, CH = 24, 26
DIM = STEPS * CH + 1


class Cnn(nn.Module):
    def __init__(self, labels, c1=48, c2=64, hidden=128, dropout=0.3):
        super().__init__()
        self.conv1 = nn.Conv1d(CH + 1, c1, 5, padding=2)
        self.conv2 = nn.Conv1d(c1, c2, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(c2 * (STEPS // 2), hidden)
        self.fc2 = nn.Linear(hidden, labels)
        self.drop = nn.Dropout(dropout)
        self.c1, self.c2 = c1, c2

    def f1(self, x):
        b = x.shape[0]
        frames = x[:, : STEPS * CH].reshape(b, STEPS, CH).transpose(1, 2)
        dur = x[:, STEPS * CH :].unsqueeze(2).expand(b, 1, STEPS)
        return self.conv1(torch.cat([frames, dur], 1)).reshape(b, -1)

    def f2(self, h):
        return self.conv2(h.reshape(h.shape[0], self.c1, STEPS)).reshape(h.shape[0], -1)

    def forward(self, x):
        h = self.drop(torch.relu(self.f1(x)))
        h = self.drop(torch.relu(self.f2(h)))
        h = self.drop(torch.relu(self.fc1(h)))
        return self.fc2(h)

    def dense_layers(self):
        return [as_dense(self.f1, DIM), as_dense(self.f2, self.c1 * STEPS), linear(self.fc1), linear(self.fc2)]


class Mlp(nn.Module):
    def __init__(self, labels, hidden=(256, 128), dropout=0.3):
        super().__init__()
        dims = [DIM, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))
        self.out = nn.Linear(dims[-1], labels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        for l in self.hidden:
            x = self.drop(torch.relu(l(x)))
        return self.out(x)

    def dense_layers(self):
        return [linear(l) for l in self.hidden] + [linear(self.out)]


def linear(l):
    return {"inputs": l.in_features, "outputs": l.out_features, "weights": l.weight.detach().numpy().ravel().tolist(), "bias": l.bias.detach().numpy().tolist()}


def as_dense(f, inputs):
    """The matrix and offset of an affine map f, by applying it to zero and to the unit vectors."""
    with torch.no_grad():
        zero = f(torch.zeros(1, inputs))[0]
        w = (f(torch.eye(inputs)) - zero).T.contiguous()
    return {"inputs": inputs, "outputs": w.shape[0], "weights": w.numpy().ravel().tolist(), "bias": zero.numpy().tolist()}


def main():
    args = sys.argv[1:]
    prefix, out = args[0], args[1]
    opt = dict(zip(args[2::2], args[3::2]))
    arch = opt.get("--arch", "cnn")
    epochs = int(opt.get("--epochs", "30"))
    seed = int(opt.get("--seed", "1"))
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(int(opt.get("--threads", "1")))
    labels = json.load(open(prefix + ".labels.json"))
    x = np.fromfile(prefix + ".x.f32", dtype="<f4").reshape(-1, DIM)
    y = np.fromfile(prefix + ".y.u8", dtype=np.uint8).astype(np.int64)
    mean = x.mean(0)
    scale = 1 / np.maximum(x.std(0), 1e-3)
    xt = torch.from_numpy((x - mean) * scale).float()
    yt = torch.from_numpy(y)
    net = Cnn(len(labels)) if arch == "cnn" else Mlp(len(labels))
    optim = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    steps = epochs * ((len(y) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=2e-3, total_steps=steps)
    lossf = nn.CrossEntropyLoss(label_smoothing=0.0)
    t0 = time.time()
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(y))
        tot, right = 0.0, 0
        for i in range(0, len(y), 64):
            idx = perm[i : i + 64]
            xb = xt[idx] + 0.1 * torch.randn(len(idx), DIM)
            logits = net(xb)
            loss = lossf(logits, yt[idx])
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
            tot += loss.item() * len(idx)
            right += (logits.argmax(1) == yt[idx]).sum().item()
        print(f"epoch {ep + 1}/{epochs} loss {tot / len(y):.3f} train acc {right / len(y):.3f} {time.time() - t0:.0f}s", file=sys.stderr)
    net.eval()
    json.dump({"labels": labels, "arch": arch, "inputMean": mean.tolist(), "inputScale": scale.tolist(), "layers": net.dense_layers()}, open(out, "w"))


if __name__ == "__main__":
    main()
