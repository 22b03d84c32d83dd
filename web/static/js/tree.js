// The folder tree beside the listing: a branch is fetched (htmx) the first
// time it is opened.

export function initTree(tree) {
  const toggle = (tw) => {
    const li = tw.closest('li');
    const ul = li.querySelector(':scope > ul');
    const open = tw.getAttribute('aria-expanded') === 'true';
    if (!open && !li.dataset.loaded && tw.dataset.children) {
      li.dataset.loaded = '1';
      window.htmx.ajax('GET', tw.dataset.children, { target: ul, swap: 'innerHTML' }).then(() => {
        if (!ul.children.length) tw.classList.add('leaf');
      });
    }
    tw.setAttribute('aria-expanded', String(!open));
    ul.hidden = open;
  };
  tree.addEventListener('click', (e) => {
    const tw = e.target.closest('.twisty');
    if (tw && tree.contains(tw)) toggle(tw);
  });
  // Mark the current folder.
  const here = document.getElementById('explorer')?.dataset.path;
  for (const li of tree.querySelectorAll('li[data-path]')) {
    if (li.dataset.path === here) li.querySelector('.tree-link')?.setAttribute('aria-current', 'page');
  }
}
