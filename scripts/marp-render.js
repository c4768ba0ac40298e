// marp-render.js renders a lakebench deck with Marp itself (@marp-team/marp-core)
// and prints what Marp saw as one JSON document: the slide count, each
// slide's speaker notes, and the images the slides show.
//
//   node scripts/marp-render.js DECK.md [MODULES_DIR]
//
// MODULES_DIR is a folder holding node_modules/@marp-team/marp-core (the
// tests install it into a cache folder with npm install --prefix); without
// it, node's usual resolution applies.
'use strict'
const fs = require('fs')
const path = require('path')

const [deckPath, modules] = process.argv.slice(2)
if (!deckPath) {
  console.error('usage: node marp-render.js DECK.md [MODULES_DIR]')
  process.exit(2)
}
const from = modules ? [path.resolve(modules)] : undefined
const { Marp } = require(require.resolve('@marp-team/marp-core', from ? { paths: from } : undefined))
const version = require(require.resolve('@marp-team/marp-core/package.json', from ? { paths: from } : undefined)).version

const md = fs.readFileSync(deckPath, 'utf8')
const marp = new Marp({ inlineSVG: true })
const { html, comments } = marp.render(md)

// Images: <img src> and the advanced backgrounds' url(...) of bg images.
const images = new Set()
for (const m of html.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)) images.add(m[1])
for (const m of html.matchAll(/background-image:url\(&quot;([^&]+)&quot;\)/g)) images.add(m[1])
for (const m of html.matchAll(/background-image:url\("([^"]+)"\)/g)) images.add(m[1])

// Slides as Marp paginates them: the sections carrying a page number.
const pages = new Set()
for (const m of html.matchAll(/<section[^>]*\sdata-marpit-pagination="(\d+)"/g)) pages.add(m[1])

process.stdout.write(JSON.stringify({
  marp_core: version,
  slides: comments.length,
  paginated: pages.size,
  notes: comments.map((c) => c.join('\n')),
  images: [...images],
  // size: 16:9 of the front matter makes every slide 1280x720.
  size_16_9: html.includes('viewBox="0 0 1280 720"') && !html.includes('viewBox="0 0 960 720"'),
}, null, 2) + '\n')
