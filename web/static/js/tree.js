// The folder tree beside the listing: a branch is fetched (htmx) the first
// time it is opened. On load, the branches down to the current folder open
// by themselves (as in a desktop file manager), so the current folder is
// visible and marked in the tree.

export function initTree(tree) {
  const toggle = (tw) => {
    const li = tw.closest('li');
    const ul = li.querySelector(':scope > ul');
    const open = tw.getAttribute('aria-expanded') === 'true';
    let loaded = Promise.resolve();
    if (!open && !li.dataset.loaded && tw.dataset.children) {
      li.dataset.loaded = '1';
      loaded = window.htmx.ajax('GET', tw.dataset.children, { target: ul, swap: 'innerHTML' }).then(() => {
        if (!ul.children.length) tw.classList.add('leaf');
      });
    }
    tw.setAttribute('aria-expanded', String(!open));
    ul.hidden = open;
    return loaded;
  };
  tree.addEventListener('click', (e) => {
    const tw = e.target.closest('.twisty');
    if (tw && tree.contains(tw)) toggle(tw);
  });
  const here = document.getElementById('explorer')?.dataset.path;
  const item = (path) => Array.from(tree.querySelectorAll('li[data-path]')).find((li) => li.dataset.path === path);
  const mark = () => {
    const li = item(here);
    if (!li) return;
    li.querySelector('.tree-link')?.setAttribute('aria-current', 'page');
    li.querySelector('.tree-link')?.scrollIntoView({ block: 'nearest' });
  };
  // Open the ancestors one after the other (each branch is loaded by the one before).
  const openTo = async () => {
    if (!here || here === '/') return;
    const names = here.split('/').filter(Boolean);
    for (let i = 1; i < names.length; i += 1) {
      const li = item(`/${names.slice(0, i).join('/')}`);
      const tw = li?.querySelector(':scope > .tree-row > .twisty');
      if (!tw) return;
      if (tw.getAttribute('aria-expanded') !== 'true') await toggle(tw);
    }
  };
  mark();
  openTo().then(mark).catch(() => {});
}
