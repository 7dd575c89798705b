package com.shoprec.jobs.model.kernels;

/**
 * The mechanics of a bounded top-k kept in parallel primitive arrays: a binary heap whose root is the worst
 * entry kept, so that a better candidate replaces it in O(log k). Subclasses hold the arrays and say which of
 * two entries ranks lower and how to swap them; the heap only moves entries.
 */
public abstract class WorstFirstHeap {

  protected final int k;
  protected int size;

  WorstFirstHeap(int k) {
    this.k = k;
  }

  /** Whether entry i ranks below entry j. */
  protected abstract boolean worse(int i, int j);

  protected abstract void swap(int i, int j);

  void clear() {
    size = 0;
  }

  boolean full() {
    return size == k;
  }

  /** The entry just written at index {@code size}, added to the heap. The caller checks that it is not full. */
  protected void added() {
    int i = size++;
    while (i > 0 && worse(i, (i - 1) / 2)) {
      swap(i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
  }

  /** The positions of the entries kept, best first. */
  int[] bestFirst() {
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> worse(x, y) ? 1 : worse(y, x) ? -1 : 0);
    int[] out = new int[size];
    for (int i = 0; i < size; i++) {
      out[i] = order[i];
    }
    return out;
  }

  /** The root was just overwritten by a better entry: moved down to its place. */
  protected void rootReplaced() {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int r = l + 1;
      int w = i;
      if (l < size && worse(l, w)) {
        w = l;
      }
      if (r < size && worse(r, w)) {
        w = r;
      }
      if (w == i) {
        return;
      }
      swap(i, w);
      i = w;
    }
  }
}
